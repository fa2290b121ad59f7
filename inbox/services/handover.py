"""Hand-over: an agent takes a conversation from the bot, and gives it back."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from inbox.choices import FollowUpStage, ReasonCode
from inbox.models import Conversation
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
    audit_record(action="conversation.hand_back", actor=agent, obj=conversation, before=before)
    return conversation
