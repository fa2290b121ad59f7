"""The outbox's life: create, edit, approve, reject, manual replies, sent, back to review.

The one door for every write to an outbound row except the send job's own lease (claim,
fail, requeue), which the worker layer keeps. Every text, the bot's or an agent's, passes
the guardrails here on the server. A row's ``dispatch_key`` makes creation idempotent: the
same cause returns the same row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inbox import enqueue, holds
from inbox.choices import REVIEWABLE_STATUSES, Direction, OutboundStatus, Purpose, ReasonCode, Source
from inbox.guardrails import check_text
from inbox.holds import HoldReason
from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.notify import notify_human_needed
from inbox.selectors import outbound_version
from inbox.services.escalation import conversation_escalate
from leasebot.core import metrics
from leasebot.core.db import insert_unless_exists
from leasebot.core.exceptions import Conflict, NotAllowed, ValidationFailed
from leasebot.core.services import audit_record
from leasebot.core.text import strip_unsafe, unsafe_characters
from platforms.connectors.base import Receipt
from platforms.policies import account_may_run, bot_settings, resolve_send_mode

Actor = AbstractBaseUser | AnonymousUser | None

logger = logging.getLogger(__name__)

MAX_BODY = 4000


def body_hash(body: str) -> str:
    """Return the fingerprint used to compare idempotent requests."""
    return hashlib.sha256(body.encode()).hexdigest()


def guardrail_reasons(body: str, *, inbound_text: str = "") -> list[HoldReason]:
    """Return the guardrail flags of a text as typed reasons (empty when clean)."""
    result = check_text(body, inbound_text=inbound_text)
    return [HoldReason.of(ReasonCode.GUARDRAIL, flag.reason, category=flag.category) for flag in result.flags]


def _clean_body(body: str, *, by_person: bool = True) -> str:
    """Return the text to store; refuse an empty, long or (a person's) unsafe text.

    A person's text with a bidi override or a control character is refused with their
    names; the bot's text (templates filled with renter-supplied values, or the LLM's) is
    cleaned instead, so the bot never emits them (``leasebot.core.text``).
    """
    if not isinstance(body, str):
        raise ValidationFailed("the message body must be a string", field="body")
    if by_person:
        unsafe = unsafe_characters(body)
        if unsafe:
            raise ValidationFailed(
                f"the message body contains characters a reply may not carry: {', '.join(unsafe)}", field="body"
            )
    text = strip_unsafe(body).strip()
    if not text:
        raise ValidationFailed("the message body is empty", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed(f"the message body is longer than {MAX_BODY} characters", field="body")
    return text


def _actor_or_none(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def bot_may_auto_send(conversation: Conversation, in_reply_to: Message | None) -> HoldReason | None:
    """Return why the bot may not send on its own here (policy aside), or None when it may."""
    if conversation.opted_out:
        return HoldReason.of(ReasonCode.OPT_OUT)
    if conversation.taken_over_by_id is not None:
        return HoldReason.of(ReasonCode.TAKEN_OVER)
    if conversation.human_required:
        return HoldReason.of(ReasonCode.HUMAN_REQUIRED, holds.summary(conversation.human_reasons))
    limit = bot_settings().max_auto_send_age_minutes
    if limit and in_reply_to is not None and (timezone.now() - in_reply_to.sent_at).total_seconds() > limit * 60:
        return HoldReason.of(ReasonCode.STALE_INBOUND, f"older than {limit} minutes")
    return None


def outbound_create(
    *,
    conversation: Conversation,
    body: str,
    purpose: str,
    dispatch_key: str,
    decision: Decision | None = None,
    in_reply_to: Message | None = None,
    hold_reasons: Iterable[HoldReason] = (),
    source: str = Source.BOT,
    actor: Actor = None,
) -> OutboundMessage:
    """Create the outbox row for one cause, or return the row that cause already made.

    One statement writes it (``INSERT ... ON CONFLICT DO NOTHING``: the unique ``dispatch_key``
    decides, with no read first and no savepoint); its audit row joins the caller's transaction.

    The status follows the policies resolved now: guardrail flags or hold reasons mean
    ``pending_review``; an effective ``auto_send`` means ``queued`` (and a send job is
    enqueued after commit); anything else leaves a ``draft``.
    """
    text = _clean_body(body, by_person=source != Source.BOT)
    reasons = list(hold_reasons)
    reasons += guardrail_reasons(text, inbound_text=in_reply_to.body if in_reply_to is not None else "")
    account_id = conversation.account_id
    mode = resolve_send_mode(account_id, conversation_key=str(conversation.pk))
    may_run = account_may_run(account_id)
    why_not = bot_may_auto_send(conversation, in_reply_to)
    if reasons:
        status = OutboundStatus.PENDING_REVIEW
    elif mode.auto_send and may_run.allowed and why_not is None:
        status = OutboundStatus.QUEUED
    else:
        status = OutboundStatus.DRAFT
        if why_not is not None:
            reasons.append(why_not)
    now = timezone.now()
    row = OutboundMessage(
        conversation=conversation,
        account_id=account_id,
        decision=decision,
        in_reply_to=in_reply_to,
        purpose=purpose,
        source=source,
        dispatch_key=dispatch_key,
        body=text,
        original_body=text,
        body_hash=body_hash(text),
        status=status,
        hold_reasons=holds.dump(reasons),
        shadow_would_send=mode.shadow_would_send and not reasons and why_not is None,
        created_by=_actor_or_none(actor),
        queued_at=now if status == OutboundStatus.QUEUED else None,
    )
    with transaction.atomic(savepoint=False):  # The row and its audit row: together or neither.
        if not insert_unless_exists(row):
            # The same cause made its row before (or a concurrent job just did): that row is the one.
            return OutboundMessage.objects.get(dispatch_key=dispatch_key)
        audit_record(
            action="outbound.create",
            actor=actor,
            system="decision",
            obj=row,
            after={"status": status, "purpose": purpose, "mode": mode.effective, "capped_by": mode.capped_by},
        )
    metrics.inc("leasebot_outbound_total", platform=conversation.account.platform.slug, status=status)
    held = holds.summary(row.hold_reasons)
    logger.info("outbound %s (%s) is %s%s", row.pk, purpose, status, f": {held}" if held else "")
    for reason in reasons:
        if reason.code == ReasonCode.GUARDRAIL:
            metrics.inc("leasebot_guardrail_holds_total", category=reason.category)
    if status == OutboundStatus.QUEUED:
        transaction.on_commit(lambda: enqueue.send(account_id))
    elif status == OutboundStatus.PENDING_REVIEW:
        notify_human_needed(conversation_id=conversation.pk, reason=held)
    return row


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
    text = _clean_body(body)
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
    text = _clean_body(body) if body is not None else _clean_body(row.body, by_person=False)
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
    row.approved_by = _actor_or_none(actor)
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
    text = _clean_body(body)
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
        created_by=_actor_or_none(actor),
        approved_by=_actor_or_none(actor),
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


#: Replies not yet handed to a sender: what a take-over or an opt-out withdraws.
_UNSENT = (OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.QUEUED, OutboundStatus.FAILED)


@transaction.atomic
def outbound_cancel_for_conversation(
    *,
    conversation_id: int,
    reason: str,
    only_bot: bool = True,
    actor: Actor = None,
    statuses: Iterable[str] = _UNSENT,
) -> int:
    """Withdraw the not-yet-sent bot replies of a conversation (human took over, opt-out, an agent's reply)."""
    qs = OutboundMessage.objects.select_for_update().filter(conversation_id=conversation_id, status__in=list(statuses))
    if only_bot:
        qs = qs.filter(source=Source.BOT)
    rows = list(qs)
    for row in rows:
        row.status = OutboundStatus.CANCELLED
        row.rejected_reason = reason[:500]
        row.save(update_fields=["status", "rejected_reason", "updated_at"])
        if actor is None:
            audit_record(action="outbound.cancel", system="worker", obj=row, reason=reason)
        else:
            audit_record(action="outbound.cancel", actor=actor, obj=row, reason=reason)
    return len(rows)


@transaction.atomic
def outbound_supersede(*, outbound_id: int, by_message_id: int) -> bool:
    """Withdraw a bot reply not yet on its way because a newer reply answers its messages too; return whether it was.

    Only an unsent bot row whose text no person edited is superseded (an agent's edit is work to
    keep); a row ``sending``, ``unknown`` or ``sent`` is already on its way and stays as it is. The
    caller holds the row lock it read the status under, so a send job cannot claim it meanwhile.
    """
    row = OutboundMessage.objects.select_for_update().get(pk=outbound_id)
    if row.status not in _UNSENT or row.source != Source.BOT or row.body != row.original_body:
        return False
    before = row.status
    row.status = OutboundStatus.CANCELLED
    row.rejected_reason = f"superseded: answered together with the renter's next message ({by_message_id})"
    row.save(update_fields=["status", "rejected_reason", "updated_at"])
    audit_record(
        action="outbound.superseded",
        system="decision",
        obj=row,
        before={"status": before},
        after={"status": row.status, "by_message_id": by_message_id},
        reason="one reply per burst",
    )
    metrics.inc("leasebot_outbound_superseded_total", platform=row.conversation.account.platform.slug)
    return True


def outbound_supersedable(outbound_id: int) -> bool:
    """Lock a reply row and tell whether :func:`outbound_supersede` would withdraw it (the lock holds till commit)."""
    row = OutboundMessage.objects.select_for_update().filter(pk=outbound_id).first()
    return row is not None and row.status in _UNSENT and row.source == Source.BOT and row.body == row.original_body


@transaction.atomic
def outbound_hold_for_accounts(*, account_ids: Iterable[int], reason: str) -> int:
    """Move the not-yet-sending rows of switched-off accounts back to review, with the reason.

    Called when an account or its platform is switched off, so nothing waits in ``queued``
    for an account no send job will visit; rows already ``sending`` finish or reconcile.
    """
    rows = list(
        OutboundMessage.objects.select_for_update(skip_locked=True)
        .filter(account_id__in=list(account_ids), status__in=[OutboundStatus.QUEUED, OutboundStatus.FAILED])
        .order_by("pk")
    )
    for row in rows:
        before = row.status
        row.status = OutboundStatus.PENDING_REVIEW
        row.hold_reasons = holds.merged(row.hold_reasons, [HoldReason.of(ReasonCode.ACCOUNT_INACTIVE, reason)])
        row.save(update_fields=["status", "hold_reasons", "updated_at"])
        audit_record(
            action="outbound.returned_to_review",
            system="policy",
            obj=row,
            before={"status": before},
            after={"status": row.status},
            reason=reason,
        )
    return len(rows)


def outbound_return_to_review(
    row: OutboundMessage, reason: HoldReason, *, status: str = OutboundStatus.PENDING_REVIEW, system: str = "worker"
) -> None:
    """Move a locked row out of the send path (to review, draft, cancelled or blocked) with the reason."""
    before = row.status
    row.status = status
    row.hold_reasons = holds.merged(row.hold_reasons, [reason])
    row.save(update_fields=["status", "hold_reasons", "updated_at"])
    audit_record(
        action="outbound.returned_to_review",
        system=system,
        obj=row,
        before={"status": before},
        after={"status": status},
        reason=reason.label,
    )


@transaction.atomic
def outbound_mark_sent(*, outbound_id: int, receipt: Receipt, reconciled: bool = False) -> bool:
    """Commit ``sent`` with the receipt if the row is ``sending`` (or ``unknown``); record the message. Idempotent."""
    row = OutboundMessage.objects.select_for_update().get(pk=outbound_id)
    if row.status == OutboundStatus.SENT:
        return False
    if row.status not in (OutboundStatus.SENDING, OutboundStatus.UNKNOWN):
        logger.error("outbound %s is %s, not sending: receipt %s not applied", row.pk, row.status, receipt.message_ref)
        return False
    if row.status == OutboundStatus.UNKNOWN:
        row.hold_reasons = holds.without(row.hold_reasons, ReasonCode.OUTCOME_UNKNOWN)
    row.status = OutboundStatus.SENT
    row.sent_at = receipt.sent_at or timezone.now()
    row.platform_message_ref = receipt.message_ref
    row.save(update_fields=["status", "sent_at", "platform_message_ref", "hold_reasons", "updated_at"])
    Message.objects.get_or_create(
        conversation_id=row.conversation_id,
        platform_message_ref=receipt.message_ref,
        defaults={
            "direction": Direction.OUTBOUND,
            "body": row.body,
            "sent_at": row.sent_at,
            "sent_by_bot": True,
            "sender_name": "lease-bot",
        },
    )
    Conversation.objects.filter(pk=row.conversation_id).update(last_outbound_at=row.sent_at)
    audit_record(
        action="outbound.sent",
        system="worker",
        obj=row,
        after={"platform_message_ref": receipt.message_ref, "reconciled": reconciled},
    )
    return True


@transaction.atomic
def outbound_mark_unknown(*, outbound_id: int, evidence: dict[str, Any], system: str = "worker") -> bool:
    """A reply that may have been sent but cannot be confirmed: hold it for a person with the evidence.

    Only a ``sending`` row becomes ``unknown``; it is never queued again by the machine. The
    conversation is escalated through the one door, so an agent looks at the thread.
    """
    row = OutboundMessage.objects.select_for_update().get(pk=outbound_id)
    if row.status != OutboundStatus.SENDING:
        return False
    row.status = OutboundStatus.UNKNOWN
    row.outcome_evidence = evidence
    row.hold_reasons = holds.merged(
        row.hold_reasons, [HoldReason.of(ReasonCode.OUTCOME_UNKNOWN, str(evidence.get("reason", "")))]
    )
    row.save(update_fields=["status", "outcome_evidence", "hold_reasons", "updated_at"])
    audit_record(
        action="outbound.outcome_unknown",
        system=system,
        obj=row,
        before={"status": OutboundStatus.SENDING},
        after={"status": row.status, "verdict": evidence.get("verdict", "")},
        reason=str(evidence.get("reason", ""))[:200],
    )
    metrics.inc("leasebot_outbound_total", platform=row.account.platform.slug, status=row.status)
    conversation_escalate(
        conversation_id=row.conversation_id,
        reasons=[HoldReason.of(ReasonCode.OUTCOME_UNKNOWN, f"reply {row.pk}: check the thread")],
        system=system,
    )
    return True


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
        row.approved_by = _actor_or_none(actor)
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
