"""Enqueue helpers: the only place dispatch's services hand work to Celery, by task name.

Always called through ``transaction.on_commit`` by services, so a job never runs before
the rows it needs are committed. A lost enqueue (cold shutdown) is harmless: ``queued``
rows are the outbox, and the periodic send sweep finds them. Tasks are named rather than
imported, so services never import the task module that imports them.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings

from leasebot.core import pending

logger = logging.getLogger(__name__)

SEND_TASK = "dispatch.send_account"
INGEST_TASK = "dispatch.ingest_account"


def _send_task(name: str, stage: str, account_id: int) -> None:
    expires = settings.LEASEBOT_JOB_EXPIRES_S[stage]
    if not pending.reserve(stage, account_id, expires):
        return  # A job for this account already waits; it will do this work too.
    try:
        current_app.send_task(name, args=[account_id], expires=expires)
    except Exception:
        pending.release(stage, account_id)  # Nothing waits after all: let the sweep enqueue it.
        logger.warning("could not enqueue %s for account %s; the periodic sweep will", name, account_id, exc_info=True)


def send(account_id: int) -> None:
    """Ask a worker to run the account's send job now."""
    _send_task(SEND_TASK, "send", account_id)


def ingest(account_id: int) -> None:
    """Ask a worker to run the account's ingest job now."""
    _send_task(INGEST_TASK, "ingest", account_id)
