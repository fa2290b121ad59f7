"""Rollout gates: the evidence a stage change is judged on, computed from the ledger.

Every gate reads the database over one window and answers ``pass``, ``fail`` or
``hold``. A gate with too little data to judge holds: it neither lets a promotion
through nor triggers a rollback. Only a report where every gate passes promotes; any
failing gate refuses a promotion and, in canary or full, triggers the automatic
rollback. The definitions are written out in ``docs/decisions/rollout-gates.md``.

Thresholds and minimum sample sizes are settings read with ``getattr`` so a deployment
can tune them by environment without a code change; the defaults live here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dispatch.choices import AttemptOutcome, Stage
from dispatch.models import DeadLetter, DispatchAttempt
from inbox import holds
from inbox.choices import OutboundStatus, Purpose, ReasonCode, Source
from inbox.models import Message, OutboundMessage
from leasebot.core.models import AuditLog

PASS = "pass"  # noqa: S105 - a verdict, not a password.
FAIL = "fail"
HOLD = "hold"

#: Error classes that count as a captcha or block page (platforms/connectors/errors.py).
CAPTCHA_BLOCK_CLASSES = ("CaptchaRequired", "Blocked")

#: Every setting a gate reads (each defined once, with its default, in settings.py).
GATE_SETTINGS = (
    "LEASEBOT_ROLLOUT_GATE_WINDOW_HOURS",
    "LEASEBOT_ROLLOUT_AUTO_ROLLBACK_WINDOW_MINUTES",
    "LEASEBOT_GATE_DISPATCH_SUCCESS_MIN",
    "LEASEBOT_GATE_DUPLICATE_SENDS_MAX",
    "LEASEBOT_GATE_DEAD_LETTER_RATE_MAX",
    "LEASEBOT_GATE_CAPTCHA_BLOCK_RATE_MAX",
    "LEASEBOT_GATE_GUARDRAIL_HOLD_RATE_MAX",
    "LEASEBOT_GATE_SHADOW_AGREEMENT_MIN",
    "LEASEBOT_GATE_MIN_SENDS",
    "LEASEBOT_GATE_MIN_ATTEMPTS",
    "LEASEBOT_GATE_MIN_DRAFTS",
    "LEASEBOT_GATE_MIN_REVIEWED",
)


def setting(name: str) -> Any:
    """Return a gate setting as it stands now (read at every call, so a test or operator may change it)."""
    if name not in GATE_SETTINGS:
        raise KeyError(f"{name} is not a gate setting")
    return getattr(settings, name)


@dataclasses.dataclass(frozen=True)
class GateResult:
    """One gate's verdict with the figures behind it."""

    name: str
    status: str
    value: float | None
    threshold: float
    comparison: str  # ">=" or "<=": how value is held against threshold.
    numerator: int
    denominator: int
    minimum_sample: int
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """Return one human line: name, verdict, value against threshold, sample."""
        shown = (
            "n/a" if self.value is None else (f"{self.value:.4f}" if isinstance(self.value, float) else str(self.value))
        )
        return (
            f"{self.name}: {self.status.upper()} value={shown} (needs {self.comparison} {self.threshold:g}; "
            f"{self.numerator}/{self.denominator}, min sample {self.minimum_sample})"
            + (f" - {self.detail}" if self.detail else "")
        )


@dataclasses.dataclass(frozen=True)
class GateReport:
    """Every gate over one window, and the overall verdict."""

    window_start: datetime
    window_end: datetime
    gates: tuple[GateResult, ...]
    account_ids: tuple[int, ...] = ()

    @property
    def status(self) -> str:
        """Return ``fail`` if any gate fails, else ``hold`` if any holds, else ``pass``."""
        statuses = {g.status for g in self.gates}
        if FAIL in statuses:
            return FAIL
        if HOLD in statuses:
            return HOLD
        return PASS

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def failing(self) -> list[GateResult]:
        return [g for g in self.gates if g.status == FAIL]

    def not_passing(self) -> list[GateResult]:
        return [g for g in self.gates if g.status != PASS]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "account_ids": list(self.account_ids),
            "gates": {g.name: g.as_dict() for g in self.gates},
        }


def _judge_min(
    name: str, numerator: int, denominator: int, threshold: float, minimum: int, detail: str = ""
) -> GateResult:
    """Judge a share that must be at least ``threshold`` (holds below the minimum sample)."""
    if denominator < minimum:
        value = numerator / denominator if denominator else None
        return GateResult(
            name, HOLD, value, threshold, ">=", numerator, denominator, minimum, detail or "too little data"
        )
    value = numerator / denominator
    return GateResult(
        name, PASS if value >= threshold else FAIL, value, threshold, ">=", numerator, denominator, minimum, detail
    )


def _judge_max(
    name: str, numerator: int, denominator: int, threshold: float, minimum: int, detail: str = ""
) -> GateResult:
    """Judge a share that must be at most ``threshold`` (holds below the minimum sample)."""
    if denominator < minimum:
        value = numerator / denominator if denominator else None
        return GateResult(
            name, HOLD, value, threshold, "<=", numerator, denominator, minimum, detail or "too little data"
        )
    value = numerator / denominator
    return GateResult(
        name, PASS if value <= threshold else FAIL, value, threshold, "<=", numerator, denominator, minimum, detail
    )


def _attempts(start: datetime, end: datetime, account_ids: Sequence[int]) -> QuerySet[DispatchAttempt]:
    qs = DispatchAttempt.objects.filter(started_at__gte=start, started_at__lt=end)
    return qs.filter(account_id__in=account_ids) if account_ids else qs


def _outbound(account_ids: Sequence[int]) -> QuerySet[OutboundMessage]:
    qs = OutboundMessage.objects.all()
    return qs.filter(account_id__in=account_ids) if account_ids else qs


def gate_dispatch_success(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> GateResult:
    """Share of outbound rows sent, of those the ledger tried in the window that reached a verdict.

    Success is judged after retries: a row that failed twice and was then sent counts as
    a success; a row counts as a failure only once it is ``dead``. Rows still in flight
    (queued, failed awaiting a retry, sending) are left out until they settle.
    """
    tried = (
        _attempts(start, end, account_ids)
        .filter(stage__in=[Stage.SEND, Stage.RECONCILE], outbound__isnull=False)
        .order_by()
        .values_list("outbound_id", flat=True)
        .distinct()
    )
    counts = OutboundMessage.objects.filter(pk__in=tried).aggregate(
        sent=Count("pk", filter=Q(status=OutboundStatus.SENT)),
        dead=Count("pk", filter=Q(status=OutboundStatus.DEAD)),
    )
    sent, dead = counts["sent"], counts["dead"]
    return _judge_min(
        "dispatch_success",
        sent,
        sent + dead,
        float(setting("LEASEBOT_GATE_DISPATCH_SUCCESS_MIN")),
        int(setting("LEASEBOT_GATE_MIN_SENDS")),
        detail=f"{dead} dead",
    )


def duplicate_send_count(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> dict[str, int]:
    """Count duplicate sends in the window, by the three ways one can show.

    - ``ledger``: an outbound row with more than one ``success`` attempt (two clicks that
      each got a receipt);
    - ``same_cause``: more than one ``sent`` bot reply (purpose ``reply``) to the same
      inbound message;
    - ``platform``: in a conversation, more messages marked ``sent_by_bot`` with one text
      than ``sent`` outbound rows with that text (the platform shows an extra copy).

    Each counts the extra sends (a text sent three times is two duplicates).
    """
    ledger = 0
    for row in (
        _attempts(start, end, account_ids)
        .filter(stage=Stage.SEND, outcome=AttemptOutcome.SUCCESS, outbound__isnull=False)
        .order_by()
        .values("outbound_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    ):
        ledger += row["n"] - 1

    sent_in_window = _outbound(account_ids).filter(status=OutboundStatus.SENT, sent_at__gte=start, sent_at__lt=end)
    same_cause = 0
    for cause in (
        sent_in_window.filter(source=Source.BOT, purpose=Purpose.REPLY, in_reply_to__isnull=False)
        .order_by()
        .values("in_reply_to_id")
        .distinct()
    ):
        n = OutboundMessage.objects.filter(
            in_reply_to_id=cause["in_reply_to_id"], purpose=Purpose.REPLY, source=Source.BOT, status=OutboundStatus.SENT
        ).count()
        same_cause += max(0, n - 1)

    platform = 0
    conversation_ids = set(sent_in_window.values_list("conversation_id", flat=True))
    if conversation_ids:
        intended: dict[tuple[int, str], int] = {}
        for conv_id, body in OutboundMessage.objects.filter(
            conversation_id__in=conversation_ids, status=OutboundStatus.SENT
        ).values_list("conversation_id", "body"):
            intended[(conv_id, body.strip())] = intended.get((conv_id, body.strip()), 0) + 1
        seen: dict[tuple[int, str], int] = {}
        for conv_id, body in Message.objects.filter(
            conversation_id__in=conversation_ids, direction="out", sent_by_bot=True
        ).values_list("conversation_id", "body"):
            seen[(conv_id, body.strip())] = seen.get((conv_id, body.strip()), 0) + 1
        platform = sum(max(0, n - intended.get(key, 0)) for key, n in seen.items() if key in intended)
    return {"ledger": ledger, "same_cause": same_cause, "platform": platform}


def gate_duplicate_sends(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> GateResult:
    """No duplicate send, ever: any duplicate fails at once, whatever the sample size."""
    counts = duplicate_send_count(start, end, account_ids)
    total = sum(counts.values())
    sends = _outbound(account_ids).filter(status=OutboundStatus.SENT, sent_at__gte=start, sent_at__lt=end).count()
    threshold = int(setting("LEASEBOT_GATE_DUPLICATE_SENDS_MAX"))
    minimum = int(setting("LEASEBOT_GATE_MIN_SENDS"))
    detail = ", ".join(f"{k}={v}" for k, v in counts.items())
    if total > threshold:
        status = FAIL
    elif sends < minimum:
        status = HOLD
        detail += "; too little data"
    else:
        status = PASS
    return GateResult("duplicate_sends", status, total, threshold, "<=", total, sends, minimum, detail)


def gate_dead_letter_rate(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> GateResult:
    """Dead letters created in the window per ledger attempt (skipped jobs left out)."""
    attempts = _attempts(start, end, account_ids).exclude(outcome=AttemptOutcome.SKIPPED).count()
    letters = DeadLetter.objects.filter(created_at__gte=start, created_at__lt=end)
    if account_ids:
        letters = letters.filter(account_id__in=account_ids)
    return _judge_max(
        "dead_letter_rate",
        letters.count(),
        attempts,
        float(setting("LEASEBOT_GATE_DEAD_LETTER_RATE_MAX")),
        int(setting("LEASEBOT_GATE_MIN_ATTEMPTS")),
    )


def gate_captcha_block_rate(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> GateResult:
    """Attempts that met a captcha or a block page, per ledger attempt (skipped left out)."""
    qs = _attempts(start, end, account_ids).exclude(outcome=AttemptOutcome.SKIPPED)
    counts = qs.aggregate(total=Count("pk"), hit=Count("pk", filter=Q(error_class__in=CAPTCHA_BLOCK_CLASSES)))
    return _judge_max(
        "captcha_block_rate",
        counts["hit"],
        counts["total"],
        float(setting("LEASEBOT_GATE_CAPTCHA_BLOCK_RATE_MAX")),
        int(setting("LEASEBOT_GATE_MIN_ATTEMPTS")),
    )


def gate_guardrail_hold_rate(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> GateResult:
    """Bot replies written in the window that a guardrail held (or blocked at send time)."""
    qs = _outbound(account_ids).filter(created_at__gte=start, created_at__lt=end, source=Source.BOT)
    total = qs.count()
    held = qs.filter(
        Q(hold_reasons__contains=holds.contains_code(ReasonCode.GUARDRAIL)) | Q(status=OutboundStatus.BLOCKED)
    ).count()
    return _judge_max(
        "guardrail_hold_rate",
        held,
        total,
        float(setting("LEASEBOT_GATE_GUARDRAIL_HOLD_RATE_MAX")),
        int(setting("LEASEBOT_GATE_MIN_DRAFTS")),
    )


#: Audit reasons for withdrawing a bot draft because a person answered instead (a disagreement):
#: the conversation taken over, a person replying on the platform itself.
REPLACED_REASONS = (str(ReasonCode.TAKEN_OVER), str(ReasonCode.HUMAN_REPLIED))
#: The start of the reason ``outbound_reply_manual`` gives the bot drafts an agent's reply supersedes.
SUPERSEDED_PREFIX = "superseded by "


def _turned_down(start: datetime, end: datetime) -> QuerySet[AuditLog]:
    """Audit rows of the window in which a person turned a bot draft down: rejected, or answered instead."""
    return AuditLog.objects.filter(
        Q(action="outbound.reject")
        | Q(action="outbound.cancel", reason__in=REPLACED_REASONS)
        | Q(action="outbound.cancel", reason__startswith=SUPERSEDED_PREFIX),
        object_type=OutboundMessage._meta.label_lower,
        created_at__gte=start,
        created_at__lt=end,
    )


def gate_shadow_agreement(start: datetime, end: datetime, account_ids: Sequence[int] = ()) -> GateResult:
    """Of the bot's drafts a person judged in the window, the share sent with the bot's text unchanged.

    A person judges a draft by approving it (agreement only if the text went out unchanged), by
    rejecting it, or by answering the renter some other way while it waited (an agent's own
    reply, a take-over, a reply typed on the platform): those last two are disagreements.
    Counting only approvals would flatter the bot, since the drafts a person disliked most are
    the ones never approved.
    """
    approved = (
        _outbound(account_ids)
        .filter(source=Source.BOT, approved_by__isnull=False, approved_at__gte=start, approved_at__lt=end)
        .exclude(original_body="")
    )
    total = 0
    unchanged = 0
    approved_ids: set[int] = set()
    for pk, body, original in approved.values_list("pk", "body", "original_body"):
        approved_ids.add(pk)
        total += 1
        unchanged += int(body.strip() == original.strip())
    turned_down_ids = {int(pk) for pk in _turned_down(start, end).values_list("object_id", flat=True) if pk.isdigit()}
    turned_down = (
        _outbound(account_ids)
        .filter(pk__in=turned_down_ids - approved_ids, source=Source.BOT, approved_by__isnull=True)
        .count()
    )
    total += turned_down
    return _judge_min(
        "shadow_agreement",
        unchanged,
        total,
        float(setting("LEASEBOT_GATE_SHADOW_AGREEMENT_MIN")),
        int(setting("LEASEBOT_GATE_MIN_REVIEWED")),
        detail=f"{total - unchanged - turned_down} edited, {turned_down} rejected or replaced",
    )


GATES = (
    gate_dispatch_success,
    gate_duplicate_sends,
    gate_dead_letter_rate,
    gate_captcha_block_rate,
    gate_guardrail_hold_rate,
    gate_shadow_agreement,
)


def gates_evaluate(
    *, window: timedelta | None = None, now: datetime | None = None, account_ids: Iterable[int] = ()
) -> GateReport:
    """Compute every gate over ``window`` ending ``now`` (default: the promotion window)."""
    end = now or timezone.now()
    span = window or timedelta(hours=float(setting("LEASEBOT_ROLLOUT_GATE_WINDOW_HOURS")))
    start = end - span
    ids = tuple(sorted(account_ids))
    return GateReport(start, end, tuple(gate(start, end, ids) for gate in GATES), ids)


def auto_rollback_window() -> timedelta:
    """Return the shorter window the periodic check judges a live stage on."""
    return timedelta(minutes=float(setting("LEASEBOT_ROLLOUT_AUTO_ROLLBACK_WINDOW_MINUTES")))
