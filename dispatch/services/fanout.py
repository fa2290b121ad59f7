"""The beat tick's fan-out: one job per account that may run, the rest skipped and counted."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dispatch import scheduling
from dispatch.choices import Stage
from dispatch.services.sending import stale_sending
from inbox.choices import OutboundStatus
from inbox.models import OutboundMessage
from inbox.services import outbound_hold_for_accounts
from leasebot.core import metrics, pending
from platforms.selectors import accounts_not_runnable, accounts_runnable


@dataclasses.dataclass(frozen=True)
class FanoutResult:
    """How many account jobs a tick enqueued and how many it skipped."""

    platform: str
    stage: str
    enqueued: tuple[int, ...]
    skipped_inactive: int
    skipped_idle: int
    skipped_pending: int = 0
    skipped_not_due: int = 0
    spare: tuple[int, ...] = ()


def fanout(
    *,
    platform_slug: str,
    stage: str,
    enqueue: Callable[[int], object] | None = None,
    enqueue_many: Callable[[list[int]], object] | None = None,
    enqueue_spare_many: Callable[[list[int]], object] | None = None,
) -> FanoutResult:
    """Enqueue one job per runnable account of a platform.

    At most one job per account and stage waits in the queue (``leasebot.core.pending``), and
    each expires after ``LEASEBOT_JOB_EXPIRES_S``: a tick behind a busy worker adds nothing.
    Ingest jobs go only to accounts whose next read is due (``dispatch.scheduling``: in-flight
    conversations are read often, idle accounts back off), and while few of the platform's
    ingest jobs wait, the accounts read longest ago too (spare capacity), through
    ``enqueue_spare_many`` (the lowest priority) when given. Send jobs go only to accounts with
    something to send (a sendable row not waiting behind its thread's send still under way, or
    a stale ``sending`` row to reconcile), so an idle account costs no browser work. The send
    sweep also returns to review any reply still queued on an account that may not run:
    no job will come for it (switching an account off does this at once; this is the net).
    """
    runnable = accounts_runnable(platform_slug=platform_slug)
    stopped = list(accounts_not_runnable(platform_slug=platform_slug).values_list("pk", flat=True))
    skipped_inactive = len(stopped)
    if stage == Stage.SEND and stopped:
        outbound_hold_for_accounts(account_ids=stopped, reason="the account may not run")
    skipped_idle = skipped_not_due = 0
    schedule: scheduling.DueAccounts | None = None
    if stage == Stage.INGEST:
        schedule = scheduling.due_for_ingest(platform_slug, runnable, timezone.now())
        ids = list(schedule.due)
        skipped_not_due = schedule.not_due
    else:
        ids = list(runnable.values_list("pk", flat=True))
    if stage == Stage.SEND and ids:
        # A row behind another of its thread still `sending` waits for that one's outcome
        # (dispatch.services.sending._claim_next): it alone is no reason for a job.
        unsettled = OutboundMessage.objects.filter(
            conversation_id=OuterRef("conversation_id"), status=OutboundStatus.SENDING
        )
        busy = set(
            OutboundMessage.objects.filter(account_id__in=ids)
            .filter(
                (
                    Q(status__in=[OutboundStatus.QUEUED, OutboundStatus.FAILED])
                    & (Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
                    & ~Exists(unsettled)
                )
                | stale_sending(timezone.now())
            )
            .values_list("account_id", flat=True)
            .distinct()
        )
        skipped_idle = len(ids) - len(busy)
        ids = [i for i in ids if i in busy]
    reserved = pending.reserve_many(stage, ids, settings.LEASEBOT_JOB_EXPIRES_S[stage])
    skipped_pending = len(ids) - len(reserved)
    if enqueue_many is not None:
        enqueue_many(reserved)  # One pipelined publish (dispatch.enqueue.publish_many).
    elif enqueue is not None:
        for account_id in reserved:
            enqueue(account_id)
    spare = _reserve_spare(schedule) if schedule is not None and schedule.spare else []
    publish_spare = enqueue_spare_many or enqueue_many
    if spare and publish_spare is not None:
        publish_spare(spare)  # The lowest priority: behind every due read.
    elif spare and enqueue is not None:
        for account_id in spare:
            enqueue(account_id)
    skipped_not_due -= len(spare)
    if stage == Stage.INGEST:
        scheduling.mark_enqueued(platform_slug, reserved + spare)
    if spare:
        metrics.inc("leasebot_ingest_spare_reads_total", float(len(spare)), platform=platform_slug)
    if skipped_pending:
        metrics.inc(
            "leasebot_fanout_skipped_total",
            float(skipped_pending),
            platform=platform_slug,
            stage=stage,
            reason="pending",
        )
    if skipped_inactive:
        metrics.inc(
            "leasebot_fanout_skipped_total",
            float(skipped_inactive),
            platform=platform_slug,
            stage=stage,
            reason="inactive",
        )
    if skipped_idle:
        metrics.inc(
            "leasebot_fanout_skipped_total", float(skipped_idle), platform=platform_slug, stage=stage, reason="idle"
        )
    if skipped_not_due:
        metrics.inc(
            "leasebot_fanout_skipped_total",
            float(skipped_not_due),
            platform=platform_slug,
            stage=stage,
            reason="not_due",
        )
    return FanoutResult(
        platform_slug,
        stage,
        tuple(reserved + spare),
        skipped_inactive,
        skipped_idle,
        skipped_pending,
        skipped_not_due,
        tuple(spare),
    )


def _reserve_spare(schedule: scheduling.DueAccounts) -> list[int]:
    """Reserve early reads for the spare candidates while fewer than ``spare_jobs`` of the platform's jobs wait.

    The waiting count is the capacity signal: jobs left from earlier ticks mean the workers
    are behind, and then nothing is read early. Candidates come longest-unread first; one whose
    job still waits is passed over.
    """
    room = schedule.spare_jobs - pending.held(Stage.INGEST, schedule.runnable)
    spare: list[int] = []
    candidates = list(schedule.spare)
    expires = settings.LEASEBOT_JOB_EXPIRES_S[Stage.INGEST]
    while room > len(spare) and candidates:
        take, candidates = candidates[: room - len(spare)], candidates[room - len(spare) :]
        spare += pending.reserve_many(Stage.INGEST, take, expires)
    return spare
