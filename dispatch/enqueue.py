"""Enqueue helpers: the only place services hand work to Celery.

Always called through ``transaction.on_commit`` by services, so a job never runs before
the rows it needs are committed. A lost enqueue (cold shutdown) is harmless: ``queued``
rows are the outbox, and the periodic send sweep finds them.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def send(account_id: int) -> None:
    """Ask a worker to run the account's send job now."""
    from dispatch.tasks import send_account

    try:
        send_account.delay(account_id)
    except Exception:
        logger.warning("could not enqueue send for account %s; the periodic sweep will", account_id, exc_info=True)


def ingest(account_id: int) -> None:
    """Ask a worker to run the account's ingest job now."""
    from dispatch.tasks import ingest_account

    try:
        ingest_account.delay(account_id)
    except Exception:
        logger.warning("could not enqueue ingest for account %s; the periodic sweep will", account_id, exc_info=True)
