"""Hand a send to the worker layer by task name: the inbox never imports the layer above it.

Called through ``transaction.on_commit`` by the outbox, so a job never runs before its rows
are committed. A lost enqueue (a broker outage, a cold shutdown) is harmless: ``queued`` rows
are the outbox, and the periodic send sweep finds them.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings

from leasebot.core import pending

logger = logging.getLogger(__name__)

#: The worker layer's send job (dispatch.tasks.send_account); routed to the browser queue by settings.
SEND_TASK = "dispatch.send_account"
#: The inbox's own job that decides on one stored inbound message (inbox.tasks.decide_message).
DECIDE_TASK = "inbox.decide_message"


def send(account_id: int) -> None:
    """Ask a worker to run the account's send job now (unless one already waits: it sends this too)."""
    expires = settings.LEASEBOT_JOB_EXPIRES_S["send"]
    if not pending.reserve("send", account_id, expires):
        return
    try:
        current_app.send_task(SEND_TASK, args=[account_id], expires=expires)
    except Exception:
        pending.release("send", account_id)  # Nothing waits after all: let the sweep enqueue it.
        logger.warning("could not enqueue send for account %s; the periodic sweep will", account_id, exc_info=True)


def decide(message_id: int, *, countdown: float = 0) -> None:
    """Ask a worker to decide on a renter's message: one that waited while a person owned the conversation,
    or the last of a burst once the renter has stopped typing (``countdown`` seconds from now, under a minute).

    A lost enqueue is harmless: the inbox sweep decides messages whose ``decide_after`` has passed.
    """
    try:
        current_app.send_task(DECIDE_TASK, args=[message_id], countdown=max(0.0, min(countdown, 60.0)) or None)
    except Exception:
        logger.warning("could not enqueue the decision on message %s", message_id, exc_info=True)
