"""The send job: exactly-once effect on the platform.

The order of operations is the whole promise (docs/architecture.md, "The two promises"):

1. claim one ``queued``/``failed`` row with ``SELECT ... FOR UPDATE SKIP LOCKED``, re-check
   every policy, commit ``sending`` with the attempt's start time (the lease);
2. click send in the browser;
3. commit ``sent`` with the platform's receipt, only if the row is still ``sending``.

A crash between 2 and 3 leaves the row in ``sending``; it is only ever resolved by a
read-back (``find_sent``) after its lease, never by sending again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dispatch import connectors, enqueue
from dispatch.choices import AttemptOutcome, Stage
from dispatch.locks import AccountLock, account_lock, platform_slot
from dispatch.retry import may_retry, retry_delay, spends_attempt
from dispatch.services.ledger import attempt_record, deadletter_create, job_skipped
from inbox.choices import OutboundStatus, ReasonCode, Source
from inbox.holds import HoldReason
from inbox.models import OutboundMessage
from inbox.services import (
    bot_may_auto_send,
    guardrail_reasons,
    outbound_hold_for_accounts,
    outbound_mark_sent,
    outbound_mark_unknown,
    outbound_return_to_review,
)
from leasebot.core import metrics
from leasebot.core.logging import log_context
from platforms.choices import CircuitState
from platforms.connectors.base import Connector, ReadBack, visibility_window
from platforms.connectors.errors import ConnectorError, HealingPending, OutcomeUnknown
from platforms.models import PlatformAccount
from platforms.policies import account_may_run, resolve_send_mode
from platforms.services import account_record_failure, account_record_success, account_set_circuit
from platforms.textmatch import Verdict

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class SendSummary:
    """What one send job did, for the task's log line and the tests."""

    account_id: int
    skipped: str = ""
    sent: int = 0
    reconciled: int = 0
    requeued: int = 0
    returned_to_review: int = 0
    failed: int = 0
    dead: int = 0
    unknown: int = 0
    deferred: int = 0  # Stale rows whose read-back found nothing yet, too soon after the click to believe it.
    yielded: bool = False  # The job used its time budget with rows left: a fresh job was queued behind the others.
    retry_error: ConnectorError | None = None


SENDABLE = (OutboundStatus.QUEUED, OutboundStatus.FAILED)


def _policy_verdict(row: OutboundMessage) -> tuple[str, HoldReason | None]:
    """Re-check every policy right before a send: return (new status or "", the reason)."""
    permission = account_may_run(row.account_id)
    if not permission.allowed:
        return OutboundStatus.PENDING_REVIEW, HoldReason.of(ReasonCode.ACCOUNT_INACTIVE, permission.reason)
    conversation = row.conversation
    if conversation.opted_out:
        return OutboundStatus.CANCELLED, HoldReason.of(ReasonCode.OPT_OUT)
    human_approved = row.approved_by_id is not None or row.source == Source.AGENT
    if not human_approved:
        if conversation.taken_over_by_id is not None:
            return OutboundStatus.CANCELLED, HoldReason.of(ReasonCode.TAKEN_OVER)
        why_not = bot_may_auto_send(conversation, row.in_reply_to)
        if why_not is not None:
            return OutboundStatus.PENDING_REVIEW, why_not
        mode = resolve_send_mode(row.account_id, conversation_key=str(conversation.pk))
        if not mode.auto_send:
            capped = f" (capped by {mode.capped_by})" if mode.capped_by else ""
            return OutboundStatus.DRAFT, HoldReason.of(ReasonCode.SEND_MODE_CHANGED, f"now {mode.effective}{capped}")
    inbound = row.in_reply_to.body if row.in_reply_to is not None else ""
    flags = guardrail_reasons(row.body, inbound_text=inbound)
    if flags:
        return OutboundStatus.BLOCKED, HoldReason.of(ReasonCode.GUARDRAIL, "at send time", category=flags[0].category)
    return "", None


def _claim_next(account: PlatformAccount) -> tuple[OutboundMessage | None, int]:
    """Claim the oldest sendable row of the account; return it (now ``sending``) and how many were diverted.

    A row a policy diverts is booked in the ledger where it happens: ``blocked`` when a
    guardrail stops it at send time, ``skipped`` when it goes back to a person or is cancelled.

    One send at a time per thread: a row whose conversation has another row still ``sending``
    (its outcome not yet read back) waits. A reply the site shows late would otherwise appear
    in the middle of the next send's check, move the thread's outbound count and make that
    send's outcome doubtful too.
    """
    account_id = account.pk
    unsettled = OutboundMessage.objects.filter(
        conversation_id=OuterRef("conversation_id"), status=OutboundStatus.SENDING
    )
    diverted = 0
    while True:
        with transaction.atomic():
            row = (
                OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("conversation", "in_reply_to")
                .filter(account_id=account_id, status__in=SENDABLE)
                .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
                .filter(~Exists(unsettled))
                .order_by("pk")
                .first()
            )
            if row is None:
                return None, diverted
            new_status, reason = _policy_verdict(row)
            if new_status and reason is not None:
                outbound_return_to_review(row, reason, status=new_status)
                attempt_record(
                    account=account,
                    stage=Stage.SEND,
                    outcome=AttemptOutcome.BLOCKED if new_status == OutboundStatus.BLOCKED else AttemptOutcome.SKIPPED,
                    started_at=timezone.now(),
                    outbound=row,
                    detail={"now": new_status, "reason": reason.code, "category": reason.category},
                )
                diverted += 1
                continue
            row.status = OutboundStatus.SENDING
            row.sending_started_at = timezone.now()
            row.attempts += 1
            # On a ``sending`` row, a not-before time means "its job let go: read it back then"
            # (stale_sending), so a failed row's retry time must not outlive the claim.
            row.not_before = None
            row.save(update_fields=["status", "sending_started_at", "attempts", "not_before", "updated_at"])
            return row, diverted


def _dead_letter(row: OutboundMessage, account: PlatformAccount, error_class: str, message: str) -> None:
    """Keep a dead outbound row as a dead letter whose payload is enough to retry it."""
    deadletter_create(
        account=account,
        platform=account.platform.slug,
        stage=Stage.SEND,
        error_class=error_class,
        error_message=message,
        attempts=row.attempts,
        outbound=row,
        payload={"outbound_id": row.pk, "dispatch_key": row.dispatch_key, "account_id": account.pk},
    )


def _fail_row(row: OutboundMessage, account: PlatformAccount, error: ConnectorError, summary: SendSummary) -> None:
    """Book a failed attempt: retry within budget at its scheduled time, else dead-letter.

    A failure that never reached the platform (an open circuit, our own rate limit) gives
    the attempt back: only the platform's answers spend a row's budget.
    """
    platform = account.platform.slug
    with transaction.atomic():
        locked = OutboundMessage.objects.select_for_update().get(pk=row.pk)
        if locked.status != OutboundStatus.SENDING:
            return
        locked.last_error_class = error.error_class
        locked.last_error = error.message[:500]
        if not spends_attempt(error):
            locked.attempts = max(0, locked.attempts - 1)
        if not spends_attempt(error) or may_retry(platform, error, locked.attempts):
            locked.status = OutboundStatus.FAILED
            locked.not_before = timezone.now() + timedelta(seconds=retry_delay(platform, error, locked.attempts))
            summary.failed += 1
        else:
            locked.status = OutboundStatus.DEAD
            locked.not_before = None
            summary.dead += 1
        locked.save(update_fields=["status", "attempts", "not_before", "last_error_class", "last_error", "updated_at"])
        if locked.status == OutboundStatus.DEAD:
            _dead_letter(locked, account, error.error_class, error.message)
    outcome = AttemptOutcome.RETRY if locked.status == OutboundStatus.FAILED else AttemptOutcome.FAIL
    attempt_record(
        account=account,
        stage=Stage.SEND,
        outcome=outcome,
        started_at=row.sending_started_at or timezone.now(),
        outbound=row,
        error=error,
    )
    metrics.inc("leasebot_outbound_total", platform=platform, status=locked.status)


def _hold_for_healing(
    row: OutboundMessage, account: PlatformAccount, error: HealingPending, summary: SendSummary
) -> None:
    """Return a reply to review, naming the proposal: a send never uses a healed locator no person accepted.

    Nothing reached the platform (the healing happened before the click), so the attempt is
    given back; the account is not stopped (its ingest carries on through the healing).
    """
    extra = error.extra
    reason = HoldReason.of(
        ReasonCode.LOCATOR_HEALING,
        f"proposal {extra.get('proposal')}: {extra.get('locator')} -> {extra.get('proposed')} "
        f"(score {float(extra.get('score') or 0):.2f})",
        category=str(extra.get("locator") or ""),
    )
    with transaction.atomic():
        locked = OutboundMessage.objects.select_for_update().get(pk=row.pk)
        if locked.status != OutboundStatus.SENDING:
            return
        locked.attempts = max(0, locked.attempts - 1)
        locked.save(update_fields=["attempts", "updated_at"])
        outbound_return_to_review(locked, reason)
    attempt_record(
        account=account,
        stage=Stage.SEND,
        outcome=AttemptOutcome.SKIPPED,
        started_at=row.sending_started_at or timezone.now(),
        outbound=row,
        detail={"now": OutboundStatus.PENDING_REVIEW, "reason": reason.code, "proposal": extra.get("proposal")},
    )
    summary.returned_to_review += 1


def _keep_outbound_before(row: OutboundMessage) -> Callable[[int], None]:
    """Remember, right before the click, how many outbound messages the thread showed (for a read-back after a crash)."""

    def keep(count: int) -> None:
        row.outbound_before = count
        row.clicked_at = timezone.now()
        OutboundMessage.objects.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
            outbound_before=count, clicked_at=row.clicked_at
        )

    return keep


def _send_one(row: OutboundMessage, account: PlatformAccount, connector: Connector, summary: SendSummary) -> None:
    started = row.sending_started_at or timezone.now()
    platform = account.platform.slug
    with log_context(dispatch_key=row.dispatch_key, conversation=row.conversation_id):
        try:
            receipt = connector.send_message(
                row.conversation.thread_ref, row.body, before_click=_keep_outbound_before(row)
            )
        except OutcomeUnknown as exc:
            # Maybe sent: never send again. Read back now; absent (perhaps not shown yet) is
            # read back again once the visibility window has passed, anything doubtful goes to a person.
            read = _safe_find_sent(connector, row)
            verdict = read.verdict if read is not None else None
            if read is not None and read.receipt is not None:
                if outbound_mark_sent(outbound_id=row.pk, receipt=read.receipt, reconciled=True):
                    attempt_record(
                        account=account,
                        stage=Stage.SEND,
                        outcome=AttemptOutcome.RECONCILED,
                        started_at=started,
                        outbound=row,
                        error=exc,
                    )
                    summary.reconciled += 1
                return
            if read is not None and verdict is Verdict.UNKNOWN:
                outbound_mark_unknown(outbound_id=row.pk, evidence=read.evidence())
            else:
                _read_back_later(row, platform=platform)
            attempt_record(
                account=account,
                stage=Stage.SEND,
                outcome=AttemptOutcome.RETRY,
                started_at=started,
                outbound=row,
                error=exc,
                detail={"left": "unknown" if verdict is Verdict.UNKNOWN else "sending"},
            )
            summary.unknown += 1
            return
        except HealingPending as exc:
            _hold_for_healing(row, account, exc, summary)
            raise
        except ConnectorError as exc:
            _fail_row(row, account, exc, summary)
            after_error(account, Stage.SEND, exc)
            raise
        if outbound_mark_sent(outbound_id=row.pk, receipt=receipt):
            attempt_record(
                account=account,
                stage=Stage.SEND,
                outcome=AttemptOutcome.SUCCESS,
                started_at=started,
                outbound=row,
                detail={"message_ref": receipt.message_ref},
            )
            account_record_success(account_id=account.pk, stage=Stage.SEND)
            metrics.inc("leasebot_outbound_total", platform=platform, status=OutboundStatus.SENT)
            logger.info("sent outbound %s as platform message %s", row.pk, receipt.message_ref)
            summary.sent += 1


def stale_sending(now: datetime) -> Q:
    """The ``sending`` rows a read-back should settle: past their lease, or let go by their job.

    A row is ``sending`` from its claim until its job records the outcome. A job that dies or
    stalls holds it until the lease passes (``LEASEBOT_SENDING_LEASE_S``): before that, a paused
    worker may still click. A job that clicked and could not tell the outcome lets go of the
    row explicitly, with a not-before time at the end of the platform's visibility window
    (``_read_back_later``): nobody else works on it, so it is read back then, not after the lease.
    """
    lease = now - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S)
    return Q(status=OutboundStatus.SENDING) & (
        Q(sending_started_at__lt=lease) | Q(not_before__isnull=False, not_before__lte=now)
    )


def _read_back_later(row: OutboundMessage, *, platform: str) -> None:
    """Let go of a row whose outcome is open: read it back once a late-shown reply would show."""
    due = (row.clicked_at or timezone.now()) + visibility_window(platform)
    OutboundMessage.objects.filter(pk=row.pk, status=OutboundStatus.SENDING).update(
        not_before=due, updated_at=timezone.now()
    )


def _read_back(connector: Connector, row: OutboundMessage) -> ReadBack:
    """Read the row's thread back and judge it with the pre-click count the send job kept."""
    after = row.sending_started_at or timezone.now()
    return connector.find_sent(row.conversation.thread_ref, row.body, after, outbound_before=row.outbound_before)


def _safe_find_sent(connector: Connector, row: OutboundMessage) -> ReadBack | None:
    try:
        return _read_back(connector, row)
    except ConnectorError:
        logger.warning("read-back failed for outbound %s; it stays in sending", row.pk)
        return None


def after_error(account: PlatformAccount, stage: str, error: ConnectorError) -> None:
    try:
        state = connectors.circuit_state(account.pk)
    except Exception:  # noqa: BLE001 - health mirroring must not hide the real error.
        state = ""
    account_record_failure(account_id=account.pk, stage=stage, error=error, circuit_state=state)


def reconcile_stale(
    *,
    account: PlatformAccount,
    connector_getter: connectors.ConnectorFactory,
    summary: SendSummary,
    lock: AccountLock | None = None,
) -> None:
    """Resolve ``sending`` rows past their lease, or let go by their job, by reading the thread back.

    Confirmed means ``sent``; absent (nothing of ours arrived, and the thread's outbound
    count did not move since before the click) means the click never landed, so the row is
    queued again (but only once the platform's visibility window since the click has passed:
    before that, a late-shown reply would be sent twice, so the row waits for the next look), except after too many lost-worker redeliveries, when it is dead-lettered
    (a job that kills its worker must not loop for ever); anything doubtful becomes
    ``unknown`` and waits for a person with the evidence, never for a blind resend.
    """
    stale_ids = list(
        OutboundMessage.objects.filter(stale_sending(timezone.now()), account=account)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not stale_ids:
        return
    connector = connector_getter(account)
    for pk in stale_ids:
        row = OutboundMessage.objects.select_related("conversation").get(pk=pk)
        started = timezone.now()
        try:
            read = _read_back(connector, row)
        except ConnectorError as exc:
            attempt_record(
                account=account,
                stage=Stage.RECONCILE,
                outcome=AttemptOutcome.RETRY,
                started_at=started,
                outbound=row,
                error=exc,
            )
            after_error(account, Stage.RECONCILE, exc)
            raise
        if read.receipt is not None:
            if outbound_mark_sent(outbound_id=pk, receipt=read.receipt, reconciled=True):
                attempt_record(
                    account=account,
                    stage=Stage.RECONCILE,
                    outcome=AttemptOutcome.RECONCILED,
                    started_at=started,
                    outbound=row,
                    detail={"found": True, "reason": read.check.reason},
                )
                summary.reconciled += 1
        elif read.verdict is Verdict.UNKNOWN:
            # Something may be our reply in a form we do not recognise: a person decides.
            if outbound_mark_unknown(outbound_id=pk, evidence=read.evidence()):
                attempt_record(
                    account=account,
                    stage=Stage.RECONCILE,
                    outcome=AttemptOutcome.BLOCKED,
                    started_at=started,
                    outbound=row,
                    detail={"found": "unknown", "reason": read.check.reason},
                )
                summary.unknown += 1
        elif _may_still_appear(row, platform=account.platform.slug):
            # Nothing yet, but the click was recent: the site may show the reply late. Look again later.
            summary.deferred += 1
        else:
            _requeue_lost(pk, account, summary, started)
        if lock is not None:
            lock.extend()


def _may_still_appear(row: OutboundMessage, *, platform: str) -> bool:
    """Say whether a reply not seen in its thread may yet appear: the click was within the visibility window.

    ``stale_sending`` says when a ``sending`` row is worth a read-back; this says when "absent"
    can be believed. Without a click time (the job died before the click, or never recorded one), the
    lease alone decides.
    """
    return row.clicked_at is not None and timezone.now() - row.clicked_at < visibility_window(platform)


def _requeue_lost(pk: int, account: PlatformAccount, summary: SendSummary, started: object) -> None:
    with transaction.atomic():
        row = OutboundMessage.objects.select_for_update().get(pk=pk)
        if row.status != OutboundStatus.SENDING:
            return
        row.lost_worker_redeliveries += 1
        if row.lost_worker_redeliveries > settings.LEASEBOT_MAX_LOST_WORKER_REDELIVERIES:
            # A row its job let go of (``not_before`` on a ``sending`` row: the click could not be
            # confirmed) is another story than a worker that died mid-send; the person who
            # opens the dead letter must be sent the right way.
            if row.not_before is not None:
                row.last_error_class = "SendNotShown"
                row.last_error = "the site never showed this reply after the click, on several tries"
            else:
                row.last_error_class = "WorkerLost"
                row.last_error = "the worker died during this send too many times"
            row.status = OutboundStatus.DEAD
            row.save(
                update_fields=["status", "lost_worker_redeliveries", "last_error_class", "last_error", "updated_at"]
            )
            _dead_letter(row, account, row.last_error_class, row.last_error)
            summary.dead += 1
        else:
            row.status = OutboundStatus.QUEUED
            row.sending_started_at = None
            row.not_before = None
            row.outbound_before = None
            row.clicked_at = None
            row.save(
                update_fields=[
                    "status",
                    "sending_started_at",
                    "not_before",
                    "outbound_before",
                    "clicked_at",
                    "lost_worker_redeliveries",
                    "updated_at",
                ]
            )
            summary.requeued += 1
    attempt_record(
        account=account,
        stage=Stage.RECONCILE,
        outcome=AttemptOutcome.RECONCILED,
        started_at=started,  # type: ignore[arg-type]
        outbound=row,
        detail={"found": False, "now": row.status},
    )


def send_account_run(*, account_id: int, max_rows: int = 50, budget_s: float | None = None) -> SendSummary:
    """Run one account's send job: reconcile stale rows, then send queued rows one by one.

    A job sends for at most ``budget_s`` (``LEASEBOT_SEND_JOB_BUDGET_S``): with rows left, it
    queues a fresh send job for the account behind the jobs already waiting and stops, so one
    busy account never keeps a worker process (and the other accounts' ingest) waiting for
    minutes. Returns a summary; raises the connector error that stopped the job when it is
    worth a retry of the whole job (the task's autoretry decides), after all bookkeeping is done.
    """
    summary = SendSummary(account_id=account_id)
    budget = float(settings.LEASEBOT_SEND_JOB_BUDGET_S if budget_s is None else budget_s)
    started = time.monotonic()
    account = PlatformAccount.objects.select_related("platform").get(pk=account_id)
    platform = account.platform.slug
    with (
        contextlib.ExitStack() as stack,
        log_context(account=account_id, platform=platform, stage=Stage.SEND),
        account_lock(account_id) as lock,
    ):
        if lock is None:
            summary.skipped = "lock_held"
            job_skipped(account, Stage.SEND, "lock_held")
            return summary
        permission = account_may_run(account_id)
        if not permission.allowed:
            # No browser traffic at all; queued rows go back to review.
            summary.returned_to_review = outbound_hold_for_accounts(account_ids=[account_id], reason=permission.reason)
            summary.skipped = "inactive"
            job_skipped(account, Stage.SEND, "inactive", returned_to_review=summary.returned_to_review)
            return summary
        if connectors.circuit_state(account_id) == CircuitState.OPEN:
            # Nothing would leave: claim nothing, spend no attempt; the sweep comes back.
            summary.skipped = "circuit_open"
            job_skipped(account, Stage.SEND, "circuit_open")
            return summary
        slot = stack.enter_context(platform_slot(platform))
        if slot is None:
            # The fleet already runs as many jobs on this site as it may: the next sweep comes back.
            summary.skipped = "platform_busy"
            job_skipped(account, Stage.SEND, "platform_busy")
            return summary
        cache: dict[int, Connector] = {}

        def getter(acc: PlatformAccount) -> Connector:
            if acc.pk not in cache:
                cache[acc.pk] = connectors.connector_for(acc)
            return cache[acc.pk]

        reconcile_stale(account=account, connector_getter=getter, summary=summary, lock=lock)
        for _ in range(max_rows):
            row, diverted = _claim_next(account)
            summary.returned_to_review += diverted
            if row is None:
                break
            try:
                _send_one(row, account, getter(account), summary)
            except ConnectorError as exc:
                # Each row keeps its own retry time; an open circuit is waited out by the sweep.
                summary.retry_error = exc if exc.retryable and spends_attempt(exc) else None
                break
            lock.extend()
            if time.monotonic() - started >= budget:
                summary.yielded = True
                break
        try:
            account_set_circuit(account_id=account_id, state=connectors.circuit_state(account_id))
        except Exception:  # noqa: BLE001 - health mirroring is best effort.
            logger.debug("circuit state unavailable for account %s", account_id)
    if summary.yielded:
        # After the lock is released, so the fresh job can take it; if no row is left, it finds nothing.
        metrics.inc("leasebot_send_job_yielded_total", platform=platform)
        enqueue.send(account_id, behind_reads=True)
    return summary
