"""Thin Celery tasks over the dispatch services: load ids, call one service, map errors.

Retry policy lives on the decorators (from settings); idempotency lives in the services,
which is what makes ``acks_late`` and redelivery safe.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from dispatch import enqueue, retry, services
from dispatch.choices import Stage
from leasebot.core import pending
from platforms.connectors.errors import CircuitOpen, ConnectorError, RateLimited, SessionExpired, Transient

logger = logging.getLogger(__name__)

RETRYABLE = (Transient, RateLimited, SessionExpired, CircuitOpen)
COMMON: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 5,
}


class AccountJob(Task):
    """Dead-letter an ingest job that exhausted its retries (send rows dead-letter themselves)."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:

        if self.name == "dispatch.ingest_account" and isinstance(exc, ConnectorError) and args:
            services.ingest_deadletter(account_id=int(args[0]), error=exc, attempts=self.request.retries + 1)


def _enqueue(task: Any, stage: str, *, spare: bool = False) -> Any:
    """Publish a tick's jobs in one pipelined batch; the broker drops each unrun past the stage's expiry."""
    expires = settings.LEASEBOT_JOB_EXPIRES_S[stage]
    priority = enqueue.PRIORITY["spare"] if spare else enqueue.PRIORITY.get(stage)
    return lambda account_ids: enqueue.publish_many(task, account_ids, expires=expires, priority=priority)


@shared_task(name="dispatch.send_account", base=AccountJob, **COMMON)
def send_account(self: Task, account_id: int) -> dict[str, Any]:
    """Send an account's queued replies."""
    pending.release(Stage.SEND, account_id)
    summary = services.send_account_run(account_id=account_id)
    if summary.retry_error is not None and self.request.retries < self.max_retries:
        raise self.retry(exc=summary.retry_error, countdown=retry.countdown(summary.retry_error, self.request.retries))
    return {"sent": summary.sent, "reconciled": summary.reconciled, "dead": summary.dead, "skipped": summary.skipped}


@shared_task(name="dispatch.ingest_account", base=AccountJob, **COMMON)
def ingest_account(self: Task, account_id: int) -> dict[str, Any]:
    """Read an account's new messages and decide on them."""
    pending.release(Stage.INGEST, account_id)
    try:
        summary = services.ingest_account_run(account_id=account_id)
    except RETRYABLE as exc:
        raise self.retry(exc=exc, countdown=retry.countdown(exc, self.request.retries)) from exc
    return {"new": summary.new_inbound, "decided": summary.decided, "skipped": summary.skipped}


@shared_task(name="dispatch.ingest_platform", bind=True, ignore_result=True)
def ingest_platform(self: Task, platform_slug: str) -> int:
    """Beat entry point: fan out one ingest job per runnable account of a platform."""
    return len(
        services.fanout(
            platform_slug=platform_slug,
            stage=Stage.INGEST,
            enqueue_many=_enqueue(ingest_account, Stage.INGEST),
            enqueue_spare_many=_enqueue(ingest_account, Stage.INGEST, spare=True),
        ).enqueued
    )


@shared_task(name="dispatch.send_platform", bind=True, ignore_result=True)
def send_platform(self: Task, platform_slug: str) -> int:
    """Beat entry point: fan out one send job per runnable account with something to send."""
    return len(
        services.fanout(
            platform_slug=platform_slug, stage=Stage.SEND, enqueue_many=_enqueue(send_account, Stage.SEND)
        ).enqueued
    )
