"""A person's actions on a reply: edit, approve or reject a draft, send their own reply, settle an unknown outcome.

Each locks the row and says, to the person who lost a race, what became of it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inbox import enqueue, holds
from inbox.choices import REVIEWABLE_STATUSES, Direction, OutboundStatus, Purpose, ReasonCode, Source
from inbox.models import Conversation, Message, OutboundMessage
from inbox.selectors import outbound_version
from inbox.services.outbox.text import Actor, actor_or_none, body_hash, clean_body, guardrail_reasons
from inbox.services.outbox.withdraw import outbound_cancel_for_conversation
from leasebot.core.exceptions import Conflict, NotAllowed, ValidationFailed
from leasebot.core.services import audit_record
from platforms.policies import account_may_run


def _locked_reviewable(outbound_id: int) -> OutboundMessage:
    row = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("conversation", "in_reply_to", "approved_by")
        .get(pk=outbound_id)
    )
    if row.status not in REVIEWABLE_STATUSES:
        raise NotAllowed(_why_not_reviewable(row), status=row.status)
    return row


def _why_not_reviewable(row: OutboundMessage) -> str:
    """Say, for the person who lost a race, what became of the reply they tried to change."""
    if row.status == OutboundStatus.CANCELLED:
        why = row.rejected_reason or "no reason given"
        return f"this draft is no longer open: it was cancelled ({why})"
    if row.approved_at is not None:
        by = row.approved_by.get_username() if row.approved_by is not None else "someone"
        return f"this draft was already approved by {by} and is now {row.status}"
    return f"this reply is {row.status}; only drafts, held or failed replies can change"


@transaction.atomic
def outbound_edit(*, outbound_id: int, actor: Actor, body: str) -> OutboundMessage:
    """Replace a draft's text; the guardrails judge the new text at once."""
    row = _locked_reviewable(outbound_id)
    text = clean_body(body)
    before = {"body_hash": row.body_hash}
    row.body = text
    row.body_hash = body_hash(text)
    inbound = row.in_reply_to.body if row.in_reply_to is not None else ""
    row.hold_reasons = holds.merged(
        holds.without(row.hold_reasons, ReasonCode.GUARDRAIL), guardrail_reasons(text, inbound_text=inbound)
    )
    row.save(update_fields=["body", "body_hash", "hold_reasons", "updated_at"])
    audit_record(action="outbound.edit", actor=actor, obj=row, before=before, after={"body_hash": row.body_hash})
    return row


@transaction.atomic
def outbound_approve(
    *, outbound_id: int, actor: Actor, body: str | None = None, version: str | None = None
) -> OutboundMessage:
    """Approve a draft (optionally with a last edit): it is queued through the one dispatch path.

    Refused while the text is flagged or the account may not run; the approval is a
    person's decision, so the send-mode and stage caps (which limit the bot) do not apply.
    ``version`` is the draft as the approver saw it (``inbox.selectors.outbound_version``): if
    the renter wrote again, or the draft or its conversation changed since, it is refused, so
    a reply to a question the renter has since taken back is not sent from a stale card.
    """
    row = _locked_reviewable(outbound_id)
    if version is not None and outbound_version(row) != version:
        raise NotAllowed(
            "this draft changed since you saw it (the renter wrote again, or someone acted on it): look at it again",
            status=row.status,
        )
    # Approved as is, the stored text is cleaned rather than refused (it may predate the check).
    text = clean_body(body) if body is not None else clean_body(row.body, by_person=False)
    inbound = row.in_reply_to.body if row.in_reply_to is not None else ""
    flags = guardrail_reasons(text, inbound_text=inbound)
    if flags:
        raise ValidationFailed(
            "the reply breaks a guardrail and cannot be sent", field="body", reasons=[f.label for f in flags]
        )
    permission = account_may_run(row.account_id)
    if not permission.allowed:
        raise NotAllowed(f"cannot send: {permission.reason}", status=row.status)
    if row.conversation.opted_out:
        raise NotAllowed("cannot send: the renter opted out", status=row.status)
    before = {"status": row.status}
    if text != row.body:
        row.body = text
        row.body_hash = body_hash(text)
    row.status = OutboundStatus.QUEUED
    row.not_before = None
    row.approved_by = actor_or_none(actor)
    row.approved_at = timezone.now()
    row.queued_at = row.approved_at
    row.hold_reasons = []
    row.save(
        update_fields=[
            "body",
            "body_hash",
            "status",
            "approved_by",
            "approved_at",
            "queued_at",
            "not_before",
            "hold_reasons",
            "updated_at",
        ]
    )
    audit_record(action="outbound.approve", actor=actor, obj=row, before=before, after={"status": row.status})
    account_id = row.account_id
    transaction.on_commit(lambda: enqueue.send(account_id))
    return row


@transaction.atomic
def outbound_reject(*, outbound_id: int, actor: Actor, reason: str) -> OutboundMessage:
    """Drop a draft for good, with the agent's reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("say why the draft is rejected", field="reason")
    row = _locked_reviewable(outbound_id)
    before = {"status": row.status}
    row.status = OutboundStatus.CANCELLED
    row.rejected_reason = reason[:500]
    row.save(update_fields=["status", "rejected_reason", "updated_at"])
    audit_record(
        action="outbound.reject", actor=actor, obj=row, before=before, after={"status": row.status}, reason=reason
    )
    return row


def outbound_reply_manual(
    *, conversation: Conversation, actor: Actor, body: str, idempotency_key: str
) -> tuple[OutboundMessage, bool]:
    """Queue an agent's own reply; the same key returns the same reply (created is False).

    The same key with another body is refused (409), as Stripe does. A flagged text is
    refused with the reasons and never stored as sendable.
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ValidationFailed("an Idempotency-Key header of 1 to 100 characters is required", field="Idempotency-Key")
    text = clean_body(body)
    dispatch_key = f"manual:{conversation.pk}:{key}"
    existing = OutboundMessage.objects.filter(dispatch_key=dispatch_key).first()
    if existing is not None:
        if existing.body_hash != body_hash(text):
            raise Conflict("this Idempotency-Key was used with a different body", field="Idempotency-Key")
        return existing, False
    last_inbound = conversation.messages.filter(direction=Direction.INBOUND).order_by("-sent_at").first()
    flags = guardrail_reasons(text, inbound_text=last_inbound.body if last_inbound else "")
    if flags:
        labels = [f.label for f in flags]
        audit_record(action="outbound.manual_refused", actor=actor, obj=conversation, reason="; ".join(labels))
        raise ValidationFailed("the reply breaks a guardrail and was not sent", field="body", reasons=labels)
    permission = account_may_run(conversation.account_id)
    if not permission.allowed:
        raise NotAllowed(f"cannot send: {permission.reason}")
    if conversation.opted_out:
        raise NotAllowed("cannot send: the renter opted out")
    now = timezone.now()
    row = OutboundMessage(
        conversation=conversation,
        account_id=conversation.account_id,
        purpose=Purpose.MANUAL,
        source=Source.AGENT,
        dispatch_key=dispatch_key,
        body=text,
        original_body=text,
        body_hash=body_hash(text),
        status=OutboundStatus.QUEUED,
        created_by=actor_or_none(actor),
        approved_by=actor_or_none(actor),
        approved_at=now,
        queued_at=now,
    )
    try:
        with transaction.atomic():
            row.save()
            audit_record(action="outbound.manual", actor=actor, obj=row, after={"status": row.status})
            # The agent answered: the bot's drafts waiting for review here are superseded (never
            # two answers). A bot reply already queued was approved and goes its way.
            by = getattr(row.created_by, "username", "") or "an agent"
            outbound_cancel_for_conversation(
                conversation_id=conversation.pk,
                reason=f"superseded by {by}'s reply",
                actor=actor,
                statuses=(OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW),
            )
            account_id = conversation.account_id
            transaction.on_commit(lambda: enqueue.send(account_id))
    except IntegrityError:
        row = OutboundMessage.objects.get(dispatch_key=dispatch_key)
        if row.body_hash != body_hash(text):
            raise Conflict("this Idempotency-Key was used with a different body", field="Idempotency-Key") from None
        return row, False
    return row, True


@transaction.atomic
def outbound_resolve_unknown(
    *, outbound_id: int, actor: Actor, sent: bool, message_ref: str = "", reason: str = ""
) -> OutboundMessage:
    """A person settles an unknown outcome: it was sent (with the platform message, if known) or send it now.

    "Sent" records the reply as sent (from the candidate the person picked, else without a
    platform reference); "not sent" queues it through the normal send path, as an approval.
    """
    row = OutboundMessage.objects.select_for_update().select_related("conversation").get(pk=outbound_id)
    if row.status != OutboundStatus.UNKNOWN:
        raise NotAllowed(f"outbound {row.pk} is {row.status}; only an unknown outcome is resolved", status=row.status)
    candidates = {str(c.get("ref")): c for c in (row.outcome_evidence or {}).get("candidates", [])}
    if message_ref and message_ref not in candidates:
        raise ValidationFailed("message_ref must be one of the candidate messages", field="message_ref")
    now = timezone.now()
    before = {"status": row.status}
    if sent:
        row.status = OutboundStatus.SENT
        picked = candidates.get(message_ref, {})
        row.sent_at = parse_datetime(str(picked["sent_at"])) if picked.get("sent_at") else now
        row.platform_message_ref = message_ref
        row.save(update_fields=["status", "sent_at", "platform_message_ref", "updated_at"])
        if message_ref:
            Message.objects.get_or_create(
                conversation_id=row.conversation_id,
                platform_message_ref=message_ref,
                defaults={
                    "direction": Direction.OUTBOUND,
                    "body": row.body,
                    "sent_at": row.sent_at,
                    "sent_by_bot": row.source == Source.BOT,
                    "sender_name": "lease-bot",
                },
            )
        Conversation.objects.filter(pk=row.conversation_id).update(last_outbound_at=row.sent_at)
    else:
        if row.conversation.opted_out:
            raise NotAllowed("cannot send: the renter opted out", status=row.status)
        permission = account_may_run(row.account_id)
        if not permission.allowed:
            raise NotAllowed(f"cannot send: {permission.reason}", status=row.status)
        row.status = OutboundStatus.QUEUED
        row.queued_at = now
        row.not_before = None
        row.sending_started_at = None
        row.outbound_before = None
        row.clicked_at = None
        row.approved_by = actor_or_none(actor)
        row.approved_at = now
        row.save(
            update_fields=[
                "status",
                "queued_at",
                "not_before",
                "sending_started_at",
                "outbound_before",
                "clicked_at",
                "approved_by",
                "approved_at",
                "updated_at",
            ]
        )
        account_id = row.account_id
        transaction.on_commit(lambda: enqueue.send(account_id))
    row.hold_reasons = holds.without(row.hold_reasons, ReasonCode.OUTCOME_UNKNOWN)
    row.save(update_fields=["hold_reasons", "updated_at"])
    audit_record(
        action="outbound.outcome_resolved",
        actor=actor,
        obj=row,
        before=before,
        after={"status": row.status, "message_ref": message_ref},
        reason=(reason or ("it was sent" if sent else "not sent: send it"))[:200],
    )
    return row
