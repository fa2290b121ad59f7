"""The single source of truth for "may this account run?" and "how does it send?".

Both functions read the database every time they are called (two indexed queries): a
toggle in the admin or the API is obeyed by the very next check, well inside the
five-second propagation promise (docs/architecture.md, Policies). Nothing else in the project decides these questions.
"""

from __future__ import annotations

import dataclasses
import hashlib

from platforms.choices import RolloutStage, SendMode
from platforms.models import BotSettings, PlatformAccount


@dataclasses.dataclass(frozen=True)
class RunPermission:
    """Whether an account may ingest or send now, and if not, why."""

    allowed: bool
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class ResolvedSendMode:
    """The send mode an account is configured for, and what the rollout stage lets through.

    ``effective`` is what the bot does (``auto_send`` or ``draft_only``); ``capped_by``
    names the stage that turned an ``auto_send`` into a draft; ``shadow_would_send`` marks
    the drafts the shadow stage holds back (recorded as "would have been sent").
    """

    configured: str
    effective: str
    stage: str
    capped_by: str = ""

    @property
    def auto_send(self) -> bool:
        return self.effective == SendMode.AUTO_SEND

    @property
    def shadow_would_send(self) -> bool:
        return self.configured == SendMode.AUTO_SEND and self.capped_by == RolloutStage.SHADOW


def account_may_run(account: PlatformAccount | int) -> RunPermission:
    """Return whether both the platform and the account are switched on, read fresh."""
    account_id = account if isinstance(account, int) else account.pk
    row = (
        PlatformAccount.objects.filter(pk=account_id)
        .values("is_active", "platform__is_active", "disabled_reason")
        .first()
    )
    if row is None:
        return RunPermission(False, "account does not exist")
    if not row["platform__is_active"]:
        return RunPermission(False, "platform switched off")
    if not row["is_active"]:
        return RunPermission(
            False, f"account switched off{': ' + row['disabled_reason'] if row['disabled_reason'] else ''}"
        )
    return RunPermission(True)


def in_canary_share(conversation_key: str, percent: int) -> bool:
    """Return whether a conversation falls in the sticky canary share.

    A hash of the conversation, not a random draw, so a renter never flips between the
    bot and a human from one message to the next.
    """
    if percent <= 0:
        return False
    if percent >= 100:
        return True
    bucket = int(hashlib.sha256(conversation_key.encode()).hexdigest()[:8], 16) % 100
    return bucket < percent


def resolve_send_mode(account: PlatformAccount | int, *, conversation_key: str = "") -> ResolvedSendMode:
    """Resolve the effective send mode: account override, else global default, capped by the stage."""
    account_id = account if isinstance(account, int) else account.pk
    row = PlatformAccount.objects.filter(pk=account_id).values("send_mode", "is_canary").first()
    settings_row = BotSettings.load()
    stage = settings_row.rollout_stage
    if row is None:
        return ResolvedSendMode(SendMode.DRAFT_ONLY, SendMode.DRAFT_ONLY, stage, "")
    configured = row["send_mode"] or settings_row.default_send_mode
    if configured != SendMode.AUTO_SEND:
        return ResolvedSendMode(configured, SendMode.DRAFT_ONLY, stage)
    if stage == RolloutStage.SHADOW:
        return ResolvedSendMode(configured, SendMode.DRAFT_ONLY, stage, RolloutStage.SHADOW)
    if stage == RolloutStage.CANARY and not (
        row["is_canary"] or in_canary_share(conversation_key, settings_row.canary_share_percent)
    ):
        return ResolvedSendMode(configured, SendMode.DRAFT_ONLY, stage, RolloutStage.CANARY)
    return ResolvedSendMode(configured, SendMode.AUTO_SEND, stage)
