"""A reply comes into being: one row per cause (its ``dispatch_key``), its status from the policies resolved now."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from inbox import enqueue, holds
from inbox.choices import OutboundStatus, ReasonCode, Source
from inbox.holds import HoldReason
from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.notify import notify_human_needed
from inbox.services.outbox.text import Actor, actor_or_none, body_hash, clean_body, guardrail_reasons
from leasebot.core import metrics
from leasebot.core.db import insert_unless_exists
from leasebot.core.services import audit_record
from platforms.policies import account_may_run, bot_settings, resolve_send_mode

logger = logging.getLogger(__name__)


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
    text = clean_body(body, by_person=source != Source.BOT)
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
        created_by=actor_or_none(actor),
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
