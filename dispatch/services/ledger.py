"""The attempt ledger and the dead letters: every try is written down, every failure kept."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch import enqueue
from dispatch.choices import AttemptOutcome, DeadLetterStatus, Stage
from dispatch.models import DeadLetter, DispatchAttempt
from inbox.choices import OutboundStatus, ReasonCode
from inbox.holds import HoldReason
from inbox.models import OutboundMessage
from inbox.services import conversation_escalate
from leasebot.core import metrics
from leasebot.core.alerts import alert
from leasebot.core.exceptions import NotAllowed
from leasebot.core.services import audit_record
from platforms.models import PlatformAccount

_HOST = socket.gethostname()


def attempt_record(
    *,
    account: PlatformAccount,
    stage: str,
    outcome: str,
    started_at: datetime,
    outbound: OutboundMessage | None = None,
    error: Exception | None = None,
    detail: dict[str, Any] | None = None,
) -> DispatchAttempt:
    """Append a ledger row, an audit row and the matching metrics for one try."""
    finished = timezone.now()
    platform = account.platform.slug
    error_class = getattr(error, "error_class", type(error).__name__) if error is not None else ""
    message = getattr(error, "message", "") if error is not None else ""
    row = DispatchAttempt.objects.create(
        outbound=outbound,
        account=account,
        platform=platform,
        stage=stage,
        outcome=outcome,
        error_class=error_class,
        error_message=str(message)[:500],
        started_at=started_at,
        finished_at=finished,
        duration_ms=int((finished - started_at).total_seconds() * 1000),
        worker=_HOST,
        detail=detail or {},
    )
    audit_record(
        action=f"dispatch.{stage}.{outcome}",
        system="worker",
        obj=outbound if outbound is not None else account,
        platform=platform,
        stage=stage,
        after={"outcome": outcome, "error_class": error_class, **({"account": account.pk} if outbound else {})},
    )
    metrics.inc("leasebot_jobs_total", platform=platform, stage=stage, outcome=outcome)
    metrics.observe(
        "leasebot_job_duration_seconds", (finished - started_at).total_seconds(), platform=platform, stage=stage
    )
    return row


def job_skipped(account: PlatformAccount, stage: str, reason: str, **detail: Any) -> DispatchAttempt:
    """Book a job that did nothing on purpose (another job holds the account, it is switched off,
    its circuit is open): a ``skipped`` ledger row where it happens, and the skip counter."""
    metrics.inc("leasebot_fanout_skipped_total", platform=account.platform.slug, stage=stage, reason=reason)
    return attempt_record(
        account=account,
        stage=stage,
        outcome=AttemptOutcome.SKIPPED,
        started_at=timezone.now(),
        detail={"reason": reason, **detail},
    )


def deadletter_create(
    *,
    account: PlatformAccount | None,
    platform: str,
    stage: str,
    error_class: str,
    error_message: str = "",
    payload: dict[str, Any] | None = None,
    attempts: int = 0,
    outbound: OutboundMessage | None = None,
) -> DeadLetter:
    """Keep a job that cannot succeed by itself; escalate its conversation; count and audit it."""
    try:
        with transaction.atomic():
            letter = DeadLetter.objects.create(
                platform=platform,
                account=account,
                outbound=outbound,
                stage=stage,
                error_class=error_class,
                error_message=error_message[:500],
                payload=payload or {},
                attempts=attempts,
            )
    except IntegrityError:
        # A redelivered failure of the same outbound: the open dead letter already stands.
        return DeadLetter.objects.get(outbound=outbound, status=DeadLetterStatus.OPEN)
    if outbound is not None:
        conversation_escalate(
            conversation_id=outbound.conversation_id,
            reasons=[HoldReason.of(ReasonCode.DEAD_LETTER, f"{stage}: {error_class}")],
            system="worker",
        )
    audit_record(
        action="deadletter.create",
        system="worker",
        obj=letter,
        platform=platform,
        stage=stage,
        after={"error_class": error_class, "attempts": attempts, "outbound": outbound.pk if outbound else None},
    )
    metrics.inc("leasebot_dead_letters_total", platform=platform, stage=stage)
    open_count = DeadLetter.objects.filter(status=DeadLetterStatus.OPEN, platform=platform).count()
    if open_count >= 5:
        alert(
            "dead_letters_growing",
            f"{open_count} open dead letters on {platform}",
            key=platform,
            platform=platform,
            open=open_count,
        )
    return letter


@transaction.atomic
def deadletter_retry(*, deadletter_id: int, actor: AbstractBaseUser | AnonymousUser | None) -> DeadLetter:
    """Put a dead job back on the same idempotent path; it can never double-send.

    A dead outbound goes back to ``queued`` (only from ``dead``: a row that is sent, or
    being sent, is never requeued); an ingest or account job is simply enqueued again.
    """
    letter = DeadLetter.objects.select_for_update().get(pk=deadletter_id)
    if letter.status != DeadLetterStatus.OPEN:
        raise NotAllowed(f"dead letter {letter.pk} is {letter.status}, not open", status=letter.status)
    if letter.outbound_id is not None:
        row = OutboundMessage.objects.select_for_update().get(pk=letter.outbound_id)
        if row.status != OutboundStatus.DEAD:
            raise NotAllowed(f"outbound {row.pk} is {row.status}; only a dead outbound is retried", status=row.status)
        row.status = OutboundStatus.QUEUED
        row.queued_at = timezone.now()
        row.not_before = None
        row.attempts = 0
        row.lost_worker_redeliveries = 0
        # The retry is a person's decision to send this text: it counts as an approval, so
        # the escalation the dead letter caused does not hold the row back again.
        if getattr(actor, "is_authenticated", False):
            row.approved_by = actor  # type: ignore[assignment]
            row.approved_at = row.queued_at
        row.save(
            update_fields=[
                "status",
                "queued_at",
                "not_before",
                "attempts",
                "lost_worker_redeliveries",
                "approved_by",
                "approved_at",
                "updated_at",
            ]
        )
    letter.status = DeadLetterStatus.RETRIED
    letter.retried_at = timezone.now()
    letter.retried_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None  # type: ignore[assignment]
    letter.save(update_fields=["status", "retried_at", "retried_by"])
    audit_record(action="deadletter.retry", actor=actor, obj=letter, platform=letter.platform, stage=letter.stage)
    account_id = letter.account_id
    if account_id is not None:
        job = enqueue.ingest if letter.stage == Stage.INGEST else enqueue.send
        transaction.on_commit(lambda: job(account_id))
    return letter


@transaction.atomic
def deadletter_discard(
    *, deadletter_id: int, actor: AbstractBaseUser | AnonymousUser | None, reason: str
) -> DeadLetter:
    """Close a dead letter without retrying it (its outbound stays dead), audited."""
    letter = DeadLetter.objects.select_for_update().get(pk=deadletter_id)
    if letter.status != DeadLetterStatus.OPEN:
        raise NotAllowed(f"dead letter {letter.pk} is {letter.status}, not open", status=letter.status)
    letter.status = DeadLetterStatus.DISCARDED
    letter.save(update_fields=["status"])
    audit_record(action="deadletter.discard", actor=actor, obj=letter, platform=letter.platform, reason=reason)
    return letter


__all__ = ["AttemptOutcome", "attempt_record", "deadletter_create", "deadletter_discard", "deadletter_retry"]
