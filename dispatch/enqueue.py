"""Enqueue helpers: the only place dispatch's services hand work to Celery, by task name.

Always called through ``transaction.on_commit`` by services, so a job never runs before
the rows it needs are committed. A lost enqueue (cold shutdown) is harmless: ``queued``
rows are the outbox, and the periodic send sweep finds them. Tasks are named rather than
imported, so services never import the task module that imports them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from celery import current_app
from django.conf import settings
from kombu.serialization import dumps, loads
from kombu.utils.uuid import uuid

from leasebot.core import pending

logger = logging.getLogger(__name__)

SEND_TASK = "dispatch.send_account"
INGEST_TASK = "dispatch.ingest_account"

#: Send jobs go before ingest jobs waiting on the same ``rpa`` queue: a reply the bot or an agent
#: has written must not wait behind every account's next read (the first reply within a minute).
#: Kombu's Redis transport keeps a list per priority step (0, 3, 6, 9 by default), serves lower
#: numbers first and files a job without a priority under 0, where send jobs go.
#: A read with spare capacity (``dispatch.scheduling``) goes last of all, behind every due read.
PRIORITY = {"ingest": 6, "spare": 9}


def _send_task(name: str, stage: str, account_id: int, *, priority: int | None = None) -> None:
    expires = settings.LEASEBOT_JOB_EXPIRES_S[stage]
    if not pending.reserve(stage, account_id, expires):
        return  # A job for this account already waits; it will do this work too.
    try:
        current_app.send_task(name, args=[account_id], expires=expires, priority=priority)
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


def _capture(producer: Any, publish: Callable[[], object]) -> list[tuple[str, dict[str, Any], dict[str, Any]]] | None:
    """Run ``publish`` with the channel's queue write held back; return what it would have written.

    Returns None on a transport that does not write through a virtual channel's ``_put``
    (anything but Redis here): the caller then publishes the usual way.
    """
    channel = producer.channel
    if not hasattr(channel, "_put") or not hasattr(channel, "encode_body") or not hasattr(channel, "decode_body"):
        return None
    captured: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    original = channel._put
    channel._put = lambda queue, message, **kwargs: captured.append((queue, message, kwargs))
    try:
        publish()
    finally:
        channel._put = original
    return captured


def _cloner(channel: Any, template: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
    """Return a function giving the template job's message for another account: a fresh task id, its args.

    The template was built by Celery itself (``apply_async``), so the protocol, the routing,
    the expiry (one absolute time for the whole tick) and the parent and root of the beat task
    stay Celery's; only what differs between two jobs of one tick is replaced.
    """
    properties = template["properties"]
    headers = template["headers"]
    encoding = properties.get("body_encoding")
    body = loads(
        channel.decode_body(template["body"], encoding), template["content-type"], template["content-encoding"]
    )
    own_root = headers.get("root_id") == headers["id"]

    def clone(account_id: int) -> dict[str, Any]:
        task_id = uuid()
        payload = dumps([[account_id], *body[1:]], serializer="json")[2]
        # An account id's repr is what Celery's saferepr gives for it (far below its size cap).
        new_headers = {**headers, "id": task_id, "argsrepr": repr((account_id,))}
        if own_root:
            new_headers["root_id"] = task_id
        return {
            **template,
            "body": channel.encode_body(payload, encoding)[0],
            "headers": new_headers,
            "properties": {
                **properties,
                "correlation_id": task_id,
                "delivery_tag": uuid(),
                "delivery_info": dict(properties["delivery_info"]),
            },
        }

    return clone


def publish_many(task: Any, account_ids: Sequence[int], *, expires: int, priority: int | None = None) -> int:
    """Publish one job per account through one producer, pipelined; return how many were published.

    Celery builds the first job's message (about half a millisecond of Python per job: that
    bounded a tick over 10,000 accounts to seconds); the others are that message with their own
    task id and argument (:func:`_cloner`), all written to the broker in pipelined chunks. The
    jobs are read by nobody's ``AsyncResult``, so they skip the result backend (``ignore_result``:
    no per-job subscribe). Where Celery did not write the first job through a virtual channel
    (another transport, eager in tests) every job goes through ``apply_async``. A broker error
    propagates after the chunks already written: the reservations of the rest lapse with their expiry.
    """
    app = task.app if getattr(task, "app", None) is not None else current_app
    published = 0
    with app.producer_or_acquire() as producer:
        channel = producer.channel

        def publish(account_id: int) -> None:
            task.apply_async((account_id,), expires=expires, producer=producer, ignore_result=True, priority=priority)

        captured = _capture(producer, lambda: publish(account_ids[0])) if account_ids else None
        writes = [
            (queue, message, kwargs, _cloner(channel, message))
            for queue, message, kwargs in captured or ()
            if message.get("content-type") == "application/json"
        ]
        if captured is None or len(writes) != len(captured):
            writes = []  # Not a message this module knows how to vary: Celery builds each one.
        for start in range(0, len(account_ids), PUBLISH_CHUNK):
            chunk = account_ids[start : start + PUBLISH_CHUNK]
            with _pipelined(producer):
                for index, account_id in enumerate(chunk, start):
                    if index == 0 and captured is not None:
                        for queue, message, kwargs in captured:  # Celery's own (an eager run wrote nothing).
                            channel._put(queue, message, **kwargs)
                    elif writes:
                        for queue, _, kwargs, clone in writes:
                            channel._put(queue, clone(account_id), **kwargs)
                    else:
                        publish(account_id)
            published += len(chunk)
    return published


def send(account_id: int, *, behind_reads: bool = False) -> None:
    """Ask a worker to run the account's send job: before the waiting reads, or behind them.

    ``behind_reads`` is for a send job that used up its time budget with rows left: its
    fresh job waits its turn behind the reads already queued, so one busy account (an agent
    approving a hundred drafts) cannot keep every other account's inbox unread.
    """
    _send_task(SEND_TASK, "send", account_id, priority=PRIORITY["ingest"] if behind_reads else None)


def ingest(account_id: int) -> None:
    """Ask a worker to run the account's ingest job now."""
    _send_task(INGEST_TASK, "ingest", account_id, priority=PRIORITY["ingest"])
