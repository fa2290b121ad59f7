"""Hand-over: an agent takes a conversation from the bot, and gives it back."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from inbox import enqueue
from inbox.choices import Direction, FollowUpStage, OutboundStatus, ReasonCode
from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.services.escalation import conversation_clear_escalation
from inbox.services.outbox import outbound_cancel_for_conversation
from inbox.workflow import transition
from leasebot.core.exceptions import NotAllowed
from leasebot.core.services import audit_record


@transaction.atomic
def conversation_take_over(*, conversation_id: int, agent: Any) -> Conversation:
    """Let an agent own the conversation: the bot stops replying and following up there."""
    if agent is None or not getattr(agent, "is_authenticated", False):
        raise NotAllowed("only a signed-in agent can take over a conversation")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.taken_over_by_id not in (None, agent.pk):
        raise NotAllowed(
            "another agent already took over this conversation", taken_over_by=conversation.taken_over_by_id
        )
    conversation.taken_over_by = agent
    conversation.assigned_agent = conversation.assigned_agent or agent
    conversation.next_follow_up_at = None
    conversation.save(update_fields=["taken_over_by", "assigned_agent", "next_follow_up_at", "updated_at"])
    transition(conversation, field="follow_up_stage", to=FollowUpStage.STOPPED, actor=agent, reason="agent took over")
    outbound_cancel_for_conversation(conversation_id=conversation.pk, reason=str(ReasonCode.TAKEN_OVER))
    audit_record(action="conversation.take_over", actor=agent, obj=conversation)
    return conversation


@transaction.atomic
def conversation_hand_back(*, conversation_id: int, agent: Any) -> Conversation:
    """Give the conversation back to the bot; clears the human flag and its reasons (including "a human reply wins")."""
    if agent is None or not getattr(agent, "is_authenticated", False):
        raise NotAllowed("only a signed-in agent can hand a conversation back")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    before = {"taken_over_by": conversation.taken_over_by_id, **conversation_clear_escalation(conversation)}
    conversation.taken_over_by = None
    conversation.save(
        update_fields=["taken_over_by", "human_required", "human_reasons", "human_required_since", "updated_at"]
    )
    if conversation.follow_up_stage == FollowUpStage.STOPPED and not conversation.opted_out:
        transition(conversation, field="follow_up_stage", to=FollowUpStage.NONE, actor=agent, reason="handed back")
    waiting = unanswered_message(conversation)
    audit_record(
        action="conversation.hand_back",
        actor=agent,
        obj=conversation,
        before=before,
        after={"bot_answers_message": waiting.pk if waiting is not None else None},
    )
    if waiting is not None and not conversation.opted_out:
        message_id = waiting.pk
        transaction.on_commit(lambda: enqueue.decide(message_id))
    return conversation


def unanswered_message(conversation: Conversation) -> Message | None:
    """Return the renter's last message if nobody answered it: no decision, no reply on our side after it.

    These are the messages that came while a person owned the conversation; on hand-back the
    bot answers the last one (its decision reads the thread), so none is lost.
    """
    last = conversation.messages.filter(direction=Direction.INBOUND).order_by("-sent_at", "-id").first()
    if last is None or Decision.objects.filter(message=last).exists():
        return None
    if conversation.messages.filter(direction=Direction.OUTBOUND, sent_at__gt=last.sent_at).exists():
        return None  # Answered on the platform.
    answered = (
        OutboundMessage.objects.filter(conversation=conversation, created_at__gte=last.seen_at)
        .exclude(status=OutboundStatus.CANCELLED)
        .exists()
    )
    return None if answered else last
