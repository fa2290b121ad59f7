"""Thin Celery tasks over the inbox services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from inbox.models import Message
from inbox.services import decision_failed, decisions_due, followups_due, inbound_decide, showings_due

logger = logging.getLogger(__name__)


@shared_task(name="inbox.follow_ups_sweep", ignore_result=True)
def follow_ups_sweep() -> int:
    """Create the follow-ups and showing steps that are due, and decide bursts whose job was lost (every 5 minutes).

    Idempotent under duplicate beats: a follow-up has one dispatch key per stage, a showing step
    one per step, a burst one decision.
    """
    decisions_due()
    showings_due()
    return followups_due()


@shared_task(name="inbox.decide_message", ignore_result=True, acks_late=True)
def decide_message(message_id: int) -> int | None:
    """Decide on one stored inbound message and its burst (idempotent: each message answered once); a failure escalates."""
    message = Message.objects.filter(pk=message_id).only("conversation_id").first()
    if message is None:
        return None
    try:
        with transaction.atomic():  # Decided or rolled back whole; the failure is escalated below.
            decision = inbound_decide(message_id=message_id)
    except Exception as exc:
        logger.exception("decision failed for message %s", message_id)
        decision_failed(conversation_id=message.conversation_id, error=exc)
        return None
    return decision.pk if decision is not None else None
