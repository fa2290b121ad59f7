"""The single source of truth for "may this account run?" and "how does it send?".

Both functions read the database every time they are called (two indexed queries): a
toggle in the admin or the API is obeyed by the very next check, well inside the
five-second propagation promise (docs/architecture.md, Policies). Nothing else in the project decides these questions.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from platforms.choices import RolloutStage, SendMode
from platforms.models import BotSettings, PlatformAccount

_T = TypeVar("_T")
#: Policy reads shared within a ``policy_snapshot`` block: key -> (read at, value).
_snapshot: contextvars.ContextVar[dict[Any, tuple[float, Any]] | None] = contextvars.ContextVar(
    "leasebot_policy_snapshot", default=None
)
#: How old a policy read inside a snapshot may be before it is read again (seconds).
SNAPSHOT_MAX_AGE_S = 1.0


@contextlib.contextmanager
def policy_snapshot() -> Iterator[None]:
    """Share the policy reads of a burst of decisions (an ingest batch) for at most ``SNAPSHOT_MAX_AGE_S``.

    Decisions on a fetched batch ask the same questions message after message (is the account
    on, which send mode, the global settings); inside this block each answer is read once a
    second instead of once per message. Only the decision step uses it: the send job reads
    fresh right before every send, so a switch-off is still obeyed before anything leaves.
    """
    if _snapshot.get() is not None:
        yield
        return
    token = _snapshot.set({})
    try:
        yield
    finally:
        _snapshot.reset(token)


def snapshot_read(key: Any, read: Callable[[], _T]) -> _T:
    """Return ``read()``, shared inside a ``policy_snapshot`` block for at most ``SNAPSHOT_MAX_AGE_S``.

    For reference data the decisions of a batch all ask for (policies, reply templates): a
    change made meanwhile is seen within that second, as a policy toggle is.
    """
    cache = _snapshot.get()
    if cache is None:
        return read()
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] <= SNAPSHOT_MAX_AGE_S:
        return hit[1]
    value = read()
    cache[key] = (now, value)
    return value


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


def bot_settings() -> BotSettings:
    """Return the global bot settings (shared inside a ``policy_snapshot``)."""
    return snapshot_read("bot_settings", BotSettings.load)


def account_may_run(account: PlatformAccount | int) -> RunPermission:
    """Return whether both the platform and the account are switched on, read fresh."""
    account_id = account if isinstance(account, int) else account.pk
    row = snapshot_read(
        ("may_run", account_id),
        lambda: (
            PlatformAccount.objects.filter(pk=account_id)
            .values("is_active", "platform__is_active", "disabled_reason")
            .first()
        ),
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
    row = snapshot_read(
        ("send_mode", account_id),
        lambda: PlatformAccount.objects.filter(pk=account_id).values("send_mode", "is_canary").first(),
    )
    settings_row = bot_settings()
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
