"""Enqueue helpers: the only place dispatch's services hand work to Celery, by task name.

Always called through ``transaction.on_commit`` by services, so a job never runs before
the rows it needs are committed. A lost enqueue (cold shutdown) is harmless: ``queued``
rows are the outbox, and the periodic send sweep finds them. Tasks are named rather than
imported, so services never import the task module that imports them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

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


#: Jobs per pipelined write to the broker (bounds the memory a tick's publish holds).
PUBLISH_CHUNK = 500


@contextlib.contextmanager
def _pipelined(producer: Any) -> Iterator[Any]:
    """Queue the producer's writes to a Redis broker in one pipeline, sent when the block ends.

    Kombu's Redis channel writes each message with its own LPUSH round trip, which is what
    bounds a beat tick over thousands of accounts; its writes go through
    ``channel.conn_or_acquire``, so handing it a pipeline batches them without changing a
    byte of the messages. Any other transport publishes as usual.
    """
    channel = producer.channel
    client = getattr(channel, "client", None)
    if client is None or not hasattr(client, "pipeline") or not hasattr(channel, "conn_or_acquire"):
        yield None
        return
    pipe = client.pipeline(transaction=False)
    original = channel.conn_or_acquire
    channel.conn_or_acquire = lambda client=None: contextlib.nullcontext(pipe)
    try:
        yield pipe
    finally:
        channel.conn_or_acquire = original
    pipe.execute()


def publish_many(task: Any, account_ids: Sequence[int], *, expires: int) -> int:
    """Publish one job per account through one producer, pipelined; return how many were published.

    The fan-out's jobs are read by nobody's ``AsyncResult``, so they skip the result backend
    (``ignore_result``: no per-job subscribe). A broker error propagates after the chunks
    already written: the reservations of the rest lapse with their expiry.
    """
    app = task.app if getattr(task, "app", None) is not None else current_app
    published = 0
    with app.producer_or_acquire() as producer:
        for start in range(0, len(account_ids), PUBLISH_CHUNK):
            chunk = account_ids[start : start + PUBLISH_CHUNK]
            with _pipelined(producer):
                for account_id in chunk:
                    task.apply_async((account_id,), expires=expires, producer=producer, ignore_result=True)
            published += len(chunk)
    return published


def send(account_id: int) -> None:
    """Ask a worker to run the account's send job now."""
    _send_task(SEND_TASK, "send", account_id)


def ingest(account_id: int) -> None:
    """Ask a worker to run the account's ingest job now."""
    _send_task(INGEST_TASK, "ingest", account_id)
