"""The one door that puts a conversation in front of a person, and the one that takes it back.

Every path that needs a human (the decision, the outbox, ingest seeing a person's reply on
the platform, a failed decision, a dead-lettered send) calls :func:`conversation_escalate`
with typed reasons. Reasons add up: the first stays first, none is overwritten, one audit
row names what is new, and one notice (deduplicated per quiet period) tells the assignee.
An escalation also reopens a conversation agents had resolved or snoozed: what needs a
person is never hidden behind a status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from inbox import holds
from inbox.choices import ConversationStatus, ReasonCode
from inbox.holds import HoldReason
from inbox.models import Conversation
from inbox.notify import notify_human_needed
from leasebot.core import metrics
from leasebot.core.services import audit_record


@transaction.atomic(savepoint=False)
def conversation_escalate(
    *,
    conversation_id: int,
    reasons: Sequence[HoldReason],
    system: str = "decision",
    actor: Any = None,
    locked: Conversation | None = None,
) -> bool:
    """Mark a conversation as needing a person for ``reasons``; return whether anything new was recorded.

    ``locked`` is the caller's row of that conversation, already locked (``select_for_update``)
    in the caller's transaction: it is updated in place instead of read again. Runs without a
    savepoint of its own: a failure rolls back the caller's whole block, never half an escalation.
    """
    if locked is not None:
        if locked.pk != conversation_id:
            raise ValueError(f"the locked row is conversation {locked.pk}, not {conversation_id}")
        conversation = locked
    else:
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("account__platform")
            .get(pk=conversation_id)
        )
    before = holds.load(conversation.human_reasons)
    new = [r for r in dict.fromkeys(reasons) if r not in before]
    was = conversation.status
    reopen = was != ConversationStatus.OPEN
    if not new and conversation.human_required and not reopen:
        return False
    now = timezone.now()
    conversation.human_reasons = holds.dump([*before, *new])
    conversation.human_required = True
    conversation.human_required_since = conversation.human_required_since or now
    fields = ["human_reasons", "human_required", "human_required_since", "updated_at"]
    if reopen:
        conversation.status, conversation.snoozed_until, conversation.status_changed_at = (
            ConversationStatus.OPEN,
            None,
            now,
        )
        conversation.status_changed_by = None
        fields += ["status", "snoozed_until", "status_changed_at", "status_changed_by"]
    conversation.save(update_fields=fields)
    added = holds.dump(new)
    after: dict[str, Any] = {"reasons": added}
    if reopen:
        after["status"] = {"from": str(was), "to": str(ConversationStatus.OPEN)}
    audit_record(
        action="conversation.escalate",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        system=system,
        obj=conversation,
        platform=conversation.account.platform.slug,
        after=after,
        reason=holds.summary(added) or f"reopened from {was}",
    )
    for reason in new:
        metrics.inc("leasebot_escalations_total", code=str(reason.code))
    notify_human_needed(conversation_id=conversation.pk, reason=holds.summary(added) or f"reopened from {was}")
    return True


def conversation_is_silenced(conversation: Conversation) -> bool:
    """Whether the bot must stay out: a person replied on the platform itself (a human reply wins)."""
    return conversation.human_required and holds.has(conversation.human_reasons, ReasonCode.HUMAN_REPLIED)


def conversation_clear_escalation(conversation: Conversation) -> dict[str, Any]:
    """Clear the human flag and its reasons on a locked row (hand-back); return what it was, for the audit."""
    before = {"human_reasons": conversation.human_reasons, "human_required": conversation.human_required}
    conversation.human_required, conversation.human_reasons, conversation.human_required_since = False, [], None
    return before
