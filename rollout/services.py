"""Stage changes: promote with evidence, roll back at once, and the automatic rollback.

The stage itself is ``BotSettings.rollout_stage``, written only through
``platforms.services.settings_update`` (which audits the field change). These services
add the rollout's own record: a ``StageChange`` row with the gate figures it was judged
on, and a ``rollout.*`` audit row with who and why.

Lock order: the ``BotSettings`` row first (``select_for_update``), then accounts by pk;
two concurrent stage changes therefore serialise on the settings row.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from leasebot.core.alerts import alert
from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.services import audit_record
from platforms.choices import RolloutStage
from platforms.models import BotSettings, PlatformAccount
from platforms.services import account_update_policy, settings_update
from rollout.gates import GateReport, auto_rollback_window, gates_evaluate
from rollout.models import StageChange

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

ORDER = (RolloutStage.SHADOW, RolloutStage.CANARY, RolloutStage.FULL)


class GateRefused(NotAllowed):
    """A promotion the gates did not let through; ``extra['gates']`` holds the figures."""

    default_message = "the rollout gates do not pass"


@dataclasses.dataclass(frozen=True)
class AutoRollbackResult:
    """What one run of the periodic check found and did."""

    stage: str
    rolled_back: bool
    report: GateReport | None = None
    change: StageChange | None = None


def _actor_fields(actor: Actor, system: str) -> tuple[Any, str]:
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user is not None else f"system:{system}"
    return user, label


def _lock_settings() -> BotSettings:
    BotSettings.load()
    return BotSettings.objects.select_for_update().get(pk=1)


def accounts_by_label(labels: Iterable[str]) -> list[PlatformAccount]:
    """Resolve ``platform/label`` strings to accounts; refuse any that does not exist."""
    found: list[PlatformAccount] = []
    missing: list[str] = []
    for raw in labels:
        slug, sep, label = raw.strip().partition("/")
        account = (
            PlatformAccount.objects.select_related("platform").filter(platform__slug=slug, label=label).first()
            if sep and slug and label
            else None
        )
        if account is None:
            missing.append(raw)
        else:
            found.append(account)
    if missing:
        raise ValidationFailed(
            f"unknown account(s) {', '.join(missing)}; use platform/label, e.g. spareroom/main", field="accounts"
        )
    return sorted({a.pk: a for a in found}.values(), key=lambda a: a.pk)


def _set_canary_accounts(accounts: Sequence[PlatformAccount], actor: Actor, reason: str) -> list[int]:
    """Make exactly these accounts the canary set (each flag change audited by the account service)."""
    wanted = {a.pk for a in accounts}
    current = set(PlatformAccount.objects.filter(is_canary=True).values_list("pk", flat=True))
    for pk in sorted(wanted | current):
        if (pk in wanted) != (pk in current):
            account_update_policy(
                account_id=pk, actor=actor, is_canary=pk in wanted, reason=reason or "rollout promote"
            )
    return sorted(wanted)


@transaction.atomic
def rollout_promote(
    *,
    to: str,
    actor: Actor,
    accounts: Sequence[str] = (),
    force: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> StageChange:
    """Move one stage forward (shadow -> canary -> full) when every gate passes.

    ``accounts`` (``platform/label``) names the canary set on a promotion to canary: it
    becomes exactly those accounts. A gate that fails or holds refuses the promotion with
    the figures (``GateRefused``); ``force`` overrides that, only with a reason, and the
    override is recorded as such. Skipping canary is refused even when forced.
    """
    reason = (reason or "").strip()
    if to not in (RolloutStage.CANARY, RolloutStage.FULL):
        raise ValidationFailed(f"promote --to must be canary or full, not {to!r}", field="to")
    if force and not reason:
        raise ValidationFailed("--force needs a reason (it is audited)", field="reason")
    row = _lock_settings()
    current = row.rollout_stage
    if ORDER.index(to) <= ORDER.index(current):
        raise NotAllowed(f"the stage is already {current}; promote goes forward only (use rollback to go back)")
    if ORDER.index(to) - ORDER.index(current) > 1:
        raise NotAllowed(f"promote one stage at a time: {current} -> {ORDER[ORDER.index(current) + 1]} first")
    chosen = accounts_by_label(accounts) if accounts else []
    if accounts and to != RolloutStage.CANARY:
        raise ValidationFailed("--accounts names the canary set; it goes with --to canary", field="accounts")
    if (
        to == RolloutStage.CANARY
        and not chosen
        and row.canary_share_percent == 0
        and not PlatformAccount.objects.filter(is_canary=True).exists()
    ):
        raise NotAllowed("no canary account is marked and the canary share is 0: canary would send nothing")

    report = gates_evaluate(now=now)
    figures = report.as_dict()
    if not report.passed and not force:
        lines = [g.describe() for g in report.not_passing()]
        raise GateRefused(
            f"cannot promote {current} -> {to}: gates {report.status}:\n  " + "\n  ".join(lines),
            gates=figures,
            reasons=lines,
        )
    canary_ids = _set_canary_accounts(chosen, actor, reason) if chosen else []
    settings_update(actor=actor, rollout_stage=to, reason=reason or f"rollout promote {current} -> {to}")
    user, label = _actor_fields(actor, "cli")
    change = StageChange.objects.create(
        from_stage=current,
        to_stage=to,
        actor=user,
        actor_label=label,
        reason=reason,
        forced=force and not report.passed,
        gate_figures=figures,
    )
    audit_record(
        action="rollout.promote_forced" if change.forced else "rollout.promote",
        actor=actor,
        system="cli",
        obj=change,
        stage=to,
        before={"rollout_stage": current},
        after={"rollout_stage": to, "gates": report.status, "canary_accounts": canary_ids},
        reason=reason,
    )
    logger.info(
        "rollout promoted %s -> %s by %s (gates %s, forced %s)", current, to, label, report.status, change.forced
    )
    return change


@transaction.atomic
def rollout_rollback(
    *,
    actor: Actor,
    reason: str = "",
    to: str | None = None,
    automatic: bool = False,
    report: GateReport | None = None,
) -> StageChange:
    """Go back at once, without gates: to the previous stage, or to ``to`` (shadow for the automatic check).

    Every send decision re-reads the stage (``platforms.policies.resolve_send_mode``), so
    the next decision and the next pre-send check obey it; queued bot replies that may
    no longer go out are turned back into drafts by the sender's pre-send check.
    """
    row = _lock_settings()
    current = row.rollout_stage
    if current == RolloutStage.SHADOW:
        raise NotAllowed("the stage is already shadow; there is nothing to roll back")
    target = to or ORDER[ORDER.index(current) - 1]
    if target not in ORDER or ORDER.index(target) >= ORDER.index(current):
        raise ValidationFailed(f"rollback from {current} must go to an earlier stage, not {target!r}", field="to")
    reason = (reason or "").strip() or ("automatic: a gate failed" if automatic else "manual rollback")
    system = "rollout-auto" if automatic else "cli"
    settings_update(actor=actor, rollout_stage=target, reason=reason)
    user, label = _actor_fields(actor, system)
    change = StageChange.objects.create(
        from_stage=current,
        to_stage=target,
        actor=user,
        actor_label=label,
        reason=reason,
        automatic=automatic,
        gate_figures=report.as_dict() if report is not None else {},
    )
    audit_record(
        action="rollout.auto_rollback" if automatic else "rollout.rollback",
        actor=actor,
        system=system,
        obj=change,
        stage=target,
        before={"rollout_stage": current},
        after={"rollout_stage": target},
        reason=reason,
    )
    logger.warning("rollout rolled back %s -> %s by %s: %s", current, target, label, reason)
    return change


def rollout_auto_rollback_check(*, now: datetime | None = None) -> AutoRollbackResult:
    """Judge a live stage (canary or full) on the short window; on a failing gate go back to shadow.

    A gate that holds (too little data) never rolls back. Idempotent: a second run in
    shadow does nothing, so duplicate beat ticks are harmless.
    """
    stage = BotSettings.load().rollout_stage
    if stage == RolloutStage.SHADOW:
        return AutoRollbackResult(stage=stage, rolled_back=False)
    report = gates_evaluate(window=auto_rollback_window(), now=now)
    failing = report.failing()
    if not failing:
        return AutoRollbackResult(stage=stage, rolled_back=False, report=report)
    reason = "automatic: " + "; ".join(g.describe() for g in failing)
    try:
        change = rollout_rollback(actor=None, reason=reason, to=RolloutStage.SHADOW, automatic=True, report=report)
    except NotAllowed:
        # Someone rolled back between our read and our lock: the goal is reached.
        return AutoRollbackResult(stage=BotSettings.load().rollout_stage, rolled_back=False, report=report)
    alert(
        "rollout_auto_rollback",
        f"rollout moved {stage} -> shadow: {', '.join(g.name for g in failing)} failed",
        key=str(change.pk),
        from_stage=stage,
        gates={g.name: {"value": g.value, "threshold": g.threshold} for g in failing},
    )
    return AutoRollbackResult(stage=RolloutStage.SHADOW, rolled_back=True, report=report, change=change)
