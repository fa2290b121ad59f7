"""Ledger scenarios for the gate, rollout and observability tests, built through the real services.

Sends, failures and dead letters are written with ``dispatch.services.attempt_record``
and ``deadletter_create`` (so the ledger, the audit rows and the Redis metrics all see
them), the rows they judge with the factories.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from dispatch.choices import AttemptOutcome, Stage
from dispatch.services import attempt_record, deadletter_create
from inbox.choices import OutboundStatus
from inbox.models import Conversation, Message, OutboundMessage
from platforms.connectors.errors import Blocked, CaptchaRequired, Permanent, Transient
from platforms.models import PlatformAccount
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory

_seq = itertools.count(1)

REPLY = "Hi! Yes, the room is still available from June 1. Would you like to see it?"


def inbound(
    account: PlatformAccount, *, at: datetime | None = None, body: str = "Is the room still available?"
) -> Message:
    """Return a new conversation's first inbound message."""
    conversation = ConversationFactory(account=account, renter_handle=f"renter{next(_seq)}")
    return MessageFactory(conversation=conversation, body=body, sent_at=at or timezone.now())


def sent(
    account: PlatformAccount, *, at: datetime | None = None, retries: int = 0, echo: bool = True
) -> OutboundMessage:
    """Return a bot reply sent (after ``retries`` failed tries), with its ledger rows and platform echo."""
    at = at or timezone.now()
    message = inbound(account, at=at - timedelta(seconds=30))
    row = OutboundFactory(
        conversation=message.conversation,
        in_reply_to=message,
        purpose="reply",
        source="bot",
        body=REPLY,
        original_body=REPLY,
        status=OutboundStatus.SENDING,
        sending_started_at=at,
        attempts=retries + 1,
    )
    for _ in range(retries):
        attempt_record(
            account=account,
            stage=Stage.SEND,
            outcome=AttemptOutcome.RETRY,
            started_at=at,
            outbound=row,
            error=Transient("timeout"),
        )
    ref = f"sent-{row.pk}"
    OutboundMessage.objects.filter(pk=row.pk).update(status=OutboundStatus.SENT, sent_at=at, platform_message_ref=ref)
    attempt_record(account=account, stage=Stage.SEND, outcome=AttemptOutcome.SUCCESS, started_at=at, outbound=row)
    if echo:
        Message.objects.create(
            conversation=message.conversation,
            direction="out",
            platform_message_ref=ref,
            body=REPLY,
            sent_at=at,
            sent_by_bot=True,
        )
    row.refresh_from_db()
    return row


def dead(account: PlatformAccount, *, at: datetime | None = None) -> OutboundMessage:
    """Return a bot reply that failed for good: a ``fail`` attempt and an open dead letter."""
    at = at or timezone.now()
    message = inbound(account, at=at - timedelta(seconds=30))
    row = OutboundFactory(
        conversation=message.conversation,
        in_reply_to=message,
        purpose="reply",
        source="bot",
        body=REPLY,
        original_body=REPLY,
        status=OutboundStatus.DEAD,
        attempts=1,
    )
    error = Permanent("thread deleted")
    attempt_record(
        account=account, stage=Stage.SEND, outcome=AttemptOutcome.FAIL, started_at=at, outbound=row, error=error
    )
    deadletter_create(
        account=account,
        platform=account.platform.slug,
        stage=Stage.SEND,
        error_class=error.error_class,
        error_message="thread deleted",
        attempts=1,
        outbound=row,
        payload={"outbound_id": row.pk, "dispatch_key": row.dispatch_key},
    )
    return row


def ingests(
    account: PlatformAccount, n: int, *, at: datetime | None = None, captcha: int = 0, blocked: int = 0
) -> None:
    """Record ``n`` ingest attempts, of which ``captcha`` met a captcha and ``blocked`` a block page."""
    at = at or timezone.now()
    for i in range(n):
        if i < captcha:
            attempt_record(
                account=account,
                stage=Stage.INGEST,
                outcome=AttemptOutcome.FAIL,
                started_at=at,
                error=CaptchaRequired("captcha"),
            )
        elif i < captcha + blocked:
            attempt_record(
                account=account,
                stage=Stage.INGEST,
                outcome=AttemptOutcome.FAIL,
                started_at=at,
                error=Blocked("blocked"),
            )
        else:
            attempt_record(account=account, stage=Stage.INGEST, outcome=AttemptOutcome.SUCCESS, started_at=at)


def drafts(account: PlatformAccount, n: int, *, held: int = 0) -> list[OutboundMessage]:
    """Create ``n`` bot drafts of which ``held`` carry a guardrail hold."""
    rows = []
    for i in range(n):
        message = inbound(account)
        reasons = (
            [{"code": "guardrail", "category": "payment_off_platform", "detail": "asks for a wire transfer"}]
            if i < held
            else []
        )
        rows.append(
            OutboundFactory(
                conversation=message.conversation,
                in_reply_to=message,
                source="bot",
                body=REPLY,
                original_body=REPLY,
                status=OutboundStatus.PENDING_REVIEW if reasons else OutboundStatus.DRAFT,
                hold_reasons=reasons,
            )
        )
    return rows


def approvals(
    account: PlatformAccount, approver: object, n: int, *, edited: int = 0, at: datetime | None = None
) -> None:
    """Create ``n`` bot drafts an agent approved, ``edited`` of them after changing the text."""
    at = at or timezone.now()
    for i in range(n):
        message = inbound(account)
        OutboundFactory(
            conversation=message.conversation,
            in_reply_to=message,
            source="bot",
            body=REPLY + (" Call me." if i < edited else ""),
            original_body=REPLY,
            status=OutboundStatus.QUEUED,
            approved_by=approver,
            approved_at=at,
            queued_at=at,
        )


def healthy(account: PlatformAccount, approver: object, *, size: int = 10, at: datetime | None = None) -> None:
    """A fleet that passes every gate at minimum samples of ``size``."""
    for _ in range(size):
        sent(account, at=at)
    ingests(account, size, at=at)
    drafts(account, size)
    approvals(account, approver, size, at=at)


def conversation_count() -> int:
    return Conversation.objects.count()
