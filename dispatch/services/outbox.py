"""The outbox's life: create, edit, approve, reject, manual replies.

Every text, the bot's or an agent's, passes the guardrails here on the server. A row's
``dispatch_key`` makes creation idempotent: the same cause returns the same row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch import enqueue
from inbox.choices import REVIEWABLE_STATUSES, OutboundStatus, Purpose, Source
from inbox.models import OutboundMessage
from inbox.notify import notify_human_needed
from leasebot.core import metrics
from leasebot.core.exceptions import Conflict, NotAllowed, ValidationFailed
from leasebot.core.services import audit_record
from platforms.policies import account_may_run, resolve_send_mode

if TYPE_CHECKING:
    from inbox.models import Conversation, Decision, Message

Actor = AbstractBaseUser | AnonymousUser | None

logger = logging.getLogger(__name__)

MAX_BODY = 4000
HUMAN_REPLIED = "human_replied_on_platform"


def body_hash(body: str) -> str:
    """Return the fingerprint used to compare idempotent requests."""
    return hashlib.sha256(body.encode()).hexdigest()


def guardrail_reasons(body: str, *, inbound_text: str = "") -> list[str]:
    """Return the guardrail flags of a text as ``category: reason`` strings (empty when clean)."""
    from inbox.guardrails import check_text

    result = check_text(body, inbound_text=inbound_text)
    return [f"guardrail:{flag.category}: {flag.reason}" for flag in result.flags]


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("the message body is empty", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed(f"the message body is longer than {MAX_BODY} characters", field="body")
    return text


def _actor_or_none(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _bot_may_auto_send(conversation: Conversation, in_reply_to: Message | None) -> tuple[bool, str]:
    """Return whether the bot may send on its own here (policy aside), and why not."""
    from platforms.models import BotSettings

    if conversation.opted_out:
        return False, "opt_out"
    if conversation.taken_over_by_id is not None:
        return False, "taken_over"
    if conversation.human_required:
        return False, f"human_required:{conversation.human_reason or 'escalated'}"
    limit = BotSettings.load().max_auto_send_age_minutes
    if limit and in_reply_to is not None and (timezone.now() - in_reply_to.sent_at).total_seconds() > limit * 60:
        return False, "inbound_too_old"
    return True, ""


def outbound_create(
    *,
    conversation: Conversation,
    body: str,
    purpose: str,
    dispatch_key: str,
    decision: Decision | None = None,
    in_reply_to: Message | None = None,
    hold_reasons: Iterable[str] = (),
    source: str = Source.BOT,
    actor: Actor = None,
) -> OutboundMessage:
    """Create the outbox row for one cause, or return the row that cause already made.

    The status follows the policies resolved now: guardrail flags or hold reasons mean
    ``pending_review``; an effective ``auto_send`` means ``queued`` (and a send job is
    enqueued after commit); anything else leaves a ``draft``.
    """
    existing = OutboundMessage.objects.filter(dispatch_key=dispatch_key).first()
    if existing is not None:
        return existing
    text = _clean_body(body)
    reasons = list(hold_reasons)
    reasons += guardrail_reasons(text, inbound_text=in_reply_to.body if in_reply_to is not None else "")
    account_id = conversation.account_id
    mode = resolve_send_mode(account_id, conversation_key=str(conversation.pk))
    may_run = account_may_run(account_id)
    may_auto, why_not = _bot_may_auto_send(conversation, in_reply_to)
    if reasons:
        status = OutboundStatus.PENDING_REVIEW
    elif mode.auto_send and may_run.allowed and may_auto:
        status = OutboundStatus.QUEUED
    else:
        status = OutboundStatus.DRAFT
        if not may_auto:
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
        hold_reasons=reasons,
        shadow_would_send=mode.shadow_would_send and not reasons and may_auto,
        created_by=_actor_or_none(actor),
        queued_at=now if status == OutboundStatus.QUEUED else None,
    )
    try:
        with transaction.atomic():
            row.save()
            audit_record(
                action="outbound.create",
                actor=actor,
                system="decision",
                obj=row,
                after={"status": status, "purpose": purpose, "mode": mode.effective, "capped_by": mode.capped_by},
            )
    except IntegrityError:
        # Lost a race with the same cause: the other row is the one.
        return OutboundMessage.objects.get(dispatch_key=dispatch_key)
    metrics.inc("leasebot_outbound_total", platform=conversation.account.platform.slug, status=status)
    logger.info(
        "outbound %s (%s) is %s%s",
        row.pk,
        purpose,
        status,
        f": {', '.join(r.split(':')[0] if r.startswith('guardrail') else r for r in reasons)}" if reasons else "",
    )
    for reason in reasons:
        if reason.startswith("guardrail:"):
            metrics.inc("leasebot_guardrail_holds_total", category=reason.split(":")[1])
    if status == OutboundStatus.QUEUED:
        transaction.on_commit(lambda: enqueue.send(account_id))
    elif status == OutboundStatus.PENDING_REVIEW:
        notify_human_needed(
            conversation_id=conversation.pk,
            reason=", ".join(r.split(":")[0] if r.startswith("guardrail") else r for r in reasons)[:200],
        )
    return row


def _locked_reviewable(outbound_id: int) -> OutboundMessage:
    row = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("conversation", "in_reply_to")
        .get(pk=outbound_id)
    )
    if row.status not in REVIEWABLE_STATUSES:
        raise NotAllowed(
            f"outbound {row.pk} is {row.status}; only drafts, held or failed replies can change", status=row.status
        )
    return row


@transaction.atomic
def outbound_edit(*, outbound_id: int, actor: Actor, body: str) -> OutboundMessage:
    """Replace a draft's text; the guardrails judge the new text at once."""
    row = _locked_reviewable(outbound_id)
    text = _clean_body(body)
    before = {"body_hash": row.body_hash}
    row.body = text
    row.body_hash = body_hash(text)
    inbound = row.in_reply_to.body if row.in_reply_to is not None else ""
    row.hold_reasons = [r for r in row.hold_reasons if not r.startswith("guardrail:")] + guardrail_reasons(
        text, inbound_text=inbound
    )
    row.save(update_fields=["body", "body_hash", "hold_reasons", "updated_at"])
    audit_record(action="outbound.edit", actor=actor, obj=row, before=before, after={"body_hash": row.body_hash})
    return row


@transaction.atomic
def outbound_approve(*, outbound_id: int, actor: Actor, body: str | None = None) -> OutboundMessage:
    """Approve a draft (optionally with a last edit): it is queued through the one dispatch path.

    Refused while the text is flagged or the account may not run; the approval is a
    person's decision, so the send-mode and stage caps (which limit the bot) do not apply.
    """
    row = _locked_reviewable(outbound_id)
    text = _clean_body(body if body is not None else row.body)
    inbound = row.in_reply_to.body if row.in_reply_to is not None else ""
    flags = guardrail_reasons(text, inbound_text=inbound)
    if flags:
        raise ValidationFailed("the reply breaks a guardrail and cannot be sent", field="body", reasons=flags)
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
    last_inbound = conversation.messages.filter(direction="in").order_by("-sent_at").first()
    flags = guardrail_reasons(text, inbound_text=last_inbound.body if last_inbound else "")
    if flags:
        audit_record(action="outbound.manual_refused", actor=actor, obj=conversation, reason="; ".join(flags))
        raise ValidationFailed("the reply breaks a guardrail and was not sent", field="body", reasons=flags)
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
            account_id = conversation.account_id
            transaction.on_commit(lambda: enqueue.send(account_id))
    except IntegrityError:
        row = OutboundMessage.objects.get(dispatch_key=dispatch_key)
        if row.body_hash != body_hash(text):
            raise Conflict("this Idempotency-Key was used with a different body", field="Idempotency-Key") from None
        return row, False
    return row, True


@transaction.atomic
def outbound_cancel_for_conversation(*, conversation_id: int, reason: str, only_bot: bool = True) -> int:
    """Withdraw the not-yet-sent bot replies of a conversation (human took over, opt-out)."""
    qs = OutboundMessage.objects.select_for_update().filter(
        conversation_id=conversation_id,
        status__in=[OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.QUEUED, OutboundStatus.FAILED],
    )
    if only_bot:
        qs = qs.filter(source=Source.BOT)
    rows = list(qs)
    for row in rows:
        row.status = OutboundStatus.CANCELLED
        row.rejected_reason = reason[:500]
        row.save(update_fields=["status", "rejected_reason", "updated_at"])
        audit_record(action="outbound.cancel", system="worker", obj=row, reason=reason)
    return len(rows)


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
        row.hold_reasons = [*row.hold_reasons, f"account_inactive: {reason}"]
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
