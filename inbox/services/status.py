"""The agents' status of a conversation (resolve, snooze, reopen) and an agent's link to a unit.

Every change is audited with who, from what and to what. A conversation with a reply
waiting for review cannot be resolved or snoozed: that reply would sit in the queue of a
conversation nobody looks at, so the agent approves or rejects it first. The way back is
the escalation door (``inbox.services.escalation``): a renter's new message, or anything
else that needs a person, reopens the conversation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox.choices import ConversationStatus, LinkageStatus, OutboundStatus
from inbox.models import Conversation, OutboundMessage, Unit
from inbox.services.escalation import conversation_clear_escalation
from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.services import audit_record

Actor = Any

_WAITING = (OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW)
MAX_REASON = 300
_ACTIONS: dict[str, str] = {
    ConversationStatus.OPEN: "conversation.reopen",
    ConversationStatus.RESOLVED: "conversation.resolve",
    ConversationStatus.SNOOZED: "conversation.snooze",
}


def _locked(conversation_id: int) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",)).select_related("account__platform").get(pk=conversation_id)
    )


def _refuse_if_waiting(conversation: Conversation, doing: str) -> None:
    waiting = OutboundMessage.objects.filter(conversation_id=conversation.pk, status__in=_WAITING).count()
    if waiting:
        raise NotAllowed(
            f"cannot {doing} while {waiting} repl{'y waits' if waiting == 1 else 'ies wait'} for review here:"
            " approve or reject it first",
            waiting=waiting,
        )


def _set(conversation: Conversation, *, actor: Actor, status: str, until: datetime | None, reason: str) -> None:
    was, was_until = conversation.current_status(), conversation.snoozed_until
    conversation.status, conversation.snoozed_until = status, until
    conversation.status_changed_at = timezone.now()
    conversation.status_changed_by = actor
    fields = ["status", "snoozed_until", "status_changed_at", "status_changed_by", "updated_at"]
    extra: dict[str, Any] = {}
    if status == ConversationStatus.RESOLVED and conversation.human_required:
        extra = conversation_clear_escalation(conversation)
        fields += ["human_required", "human_reasons", "human_required_since"]
    conversation.save(update_fields=fields)
    audit_record(
        action=_ACTIONS[status],
        actor=actor,
        obj=conversation,
        platform=conversation.account.platform.slug,
        before={
            "status": str(was),
            "snoozed_until": was_until.isoformat() if was_until else None,
            **extra,
        },
        after={"status": str(status), "snoozed_until": until.isoformat() if until else None},
        reason=reason,
    )


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"reason is longer than {MAX_REASON} characters", field="reason")
    return text


@transaction.atomic
def conversation_resolve(*, conversation_id: int, actor: Actor, reason: str = "") -> Conversation:
    """Mark a conversation done: out of every working tab, its escalation cleared, until the renter writes."""
    conversation = _locked(conversation_id)
    if conversation.status == ConversationStatus.RESOLVED:
        return conversation
    _refuse_if_waiting(conversation, "resolve this conversation")
    _set(conversation, actor=actor, status=ConversationStatus.RESOLVED, until=None, reason=_reason(reason))
    return conversation


@transaction.atomic
def conversation_snooze(
    *, conversation_id: int, actor: Actor, until: datetime, reason: str = "", now: datetime | None = None
) -> Conversation:
    """Hide a conversation from the working tabs and the queue until ``until``, or until the renter writes."""
    now = now or timezone.now()
    if timezone.is_naive(until):
        raise ValidationFailed("give the snooze time with its time zone", field="until")
    if until <= now + timedelta(minutes=1):
        raise ValidationFailed("the snooze must end in the future", field="until")
    longest = timedelta(days=settings.LEASEBOT_SNOOZE_MAX_DAYS)
    if until > now + longest:
        raise ValidationFailed(f"a snooze lasts at most {longest.days} days", field="until")
    conversation = _locked(conversation_id)
    if conversation.status == ConversationStatus.RESOLVED:
        raise NotAllowed("this conversation is resolved: reopen it before snoozing it")
    _refuse_if_waiting(conversation, "snooze this conversation")
    _set(conversation, actor=actor, status=ConversationStatus.SNOOZED, until=until, reason=_reason(reason))
    return conversation


@transaction.atomic
def conversation_reopen(*, conversation_id: int, actor: Actor, reason: str = "") -> Conversation:
    """Open a resolved or snoozed conversation again (a no-op when it is open)."""
    conversation = _locked(conversation_id)
    if conversation.status == ConversationStatus.OPEN:
        return conversation
    _set(conversation, actor=actor, status=ConversationStatus.OPEN, until=None, reason=_reason(reason))
    return conversation


@transaction.atomic
def conversation_link_unit(*, conversation_id: int, actor: Actor, unit_id: int | None) -> Conversation:
    """Link a conversation to a unit an agent chose (its listing follows), or unlink it with ``None``.

    The caller checks that the agent may work on the conversation; the unit must belong to an
    active listing. The replies the bot writes from then on quote this unit's facts.
    """
    conversation = _locked(conversation_id)
    unit = None
    if unit_id is not None:
        unit = Unit.objects.select_related("listing").filter(pk=unit_id, listing__is_active=True).first()
        if unit is None:
            raise ValidationFailed("no such unit on an active listing", field="unit")
    before = {"unit": conversation.unit_id, "listing": conversation.listing_id, "status": conversation.linkage_status}
    if before["unit"] == (unit.pk if unit else None):
        return conversation
    conversation.unit = unit
    conversation.listing = unit.listing if unit is not None else None
    conversation.linkage_status = LinkageStatus.BY_AGENT if unit is not None else LinkageStatus.UNLINKED
    conversation.save(update_fields=["unit", "listing", "linkage_status", "updated_at"])
    audit_record(
        action="conversation.link",
        actor=actor,
        obj=conversation,
        platform=conversation.account.platform.slug,
        before=before,
        after={"unit": conversation.unit_id, "listing": conversation.listing_id, "status": conversation.linkage_status},
        reason="linked by an agent" if unit is not None else "unlinked by an agent",
    )
    return conversation
