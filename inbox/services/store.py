"""Storing what ingest read: each message once, with what it is.

The worker layer's ingest job calls :func:`message_store` for every message the connector
returned and, for our side's messages, :func:`outbound_seen`, which tells the bot's own
replies (and reconciles one still ``sending``) from a person's reply typed on the platform.
The job runs the two (or the store and the decision on a renter's message) in one
transaction: a re-read of a stored message is a no-op, so a message stored without its
verdict would keep ``sent_by_bot`` false, a person's, for good.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction

from inbox.choices import ConversationStatus, Direction, OutboundStatus, ReasonCode
from inbox.holds import HoldReason
from inbox.models import Conversation, Message, OutboundMessage
from inbox.services.escalation import conversation_escalate
from inbox.services.outbox import outbound_cancel_for_conversation, outbound_mark_sent
from leasebot.core.db import insert_unless_exists
from platforms import textmatch
from platforms.connectors.base import Inbound, Receipt
from platforms.models import PlatformAccount


@dataclasses.dataclass(frozen=True)
class Stored:
    """Where a fetched message landed: its conversation and row, and whether the row is new.

    For a renter's message stored now, ``message`` and ``conversation`` are the rows as this
    transaction wrote them, the conversation locked (``select_for_update``) until it ends: the
    decision in the same transaction takes them as they are instead of reading them again
    (``inbound_decide(stored=...)``).
    """

    conversation_id: int
    message_id: int
    created: bool
    message: Message | None = dataclasses.field(default=None, compare=False, repr=False)
    conversation: Conversation | None = dataclasses.field(default=None, compare=False, repr=False)


def _conversation_for(account: PlatformAccount, item: Inbound, *, lock: bool) -> Conversation:
    """Return the thread's conversation, creating it on its first message (``get_or_create`` without its savepoint).

    With ``lock`` the row is read ``FOR UPDATE`` with what the decision reads of it (a row this
    transaction inserts is its own until commit).
    """
    rows = Conversation.objects.filter(account=account, thread_ref=item.thread_ref)
    if lock:
        rows = rows.select_for_update(of=("self",)).select_related("unit__listing", "listing")
    found = rows.first()
    if found is not None:
        found.account = account  # The caller's row, with its platform: no read of its own.
        return found
    conversation = Conversation(
        account=account,
        thread_ref=item.thread_ref,
        renter_name=item.sender_name if item.direction == Direction.INBOUND else "",
        renter_handle=item.sender_handle,
        listing_ref_seen=item.listing_ref or item.listing_url,
    )
    if insert_unless_exists(conversation):
        return conversation
    # Another job created it meanwhile (the unique account and thread key): that row is the one.
    found = rows.get()
    found.account = account
    return found


def message_store(*, account: PlatformAccount, item: Inbound) -> Stored:
    """Upsert the conversation and insert the message in one transaction; a re-read is a no-op.

    Inside the caller's transaction (ingest's, with the verdict) it adds no savepoint of its own.
    """
    with transaction.atomic(savepoint=False):
        inbound = item.direction == Direction.INBOUND
        # A renter's message is decided in this transaction, under its conversation's lock:
        # take it now. Our side's messages lock outbound rows first (outbound_seen), as the send job does.
        conversation = _conversation_for(account, item, lock=inbound)
        updates: dict[str, object] = {}
        if item.direction == Direction.INBOUND and not conversation.renter_name and item.sender_name:
            updates["renter_name"] = item.sender_name
        if item.direction == Direction.INBOUND and not conversation.renter_handle and item.sender_handle:
            updates["renter_handle"] = item.sender_handle
        if not conversation.listing_ref_seen and (item.listing_ref or item.listing_url):
            updates["listing_ref_seen"] = item.listing_ref or item.listing_url
        message = Message(
            conversation=conversation,
            direction=item.direction,
            platform_message_ref=item.message_ref,
            sender_name=item.sender_name,
            body=item.body,
            sent_at=item.sent_at,
        )
        if not insert_unless_exists(message):  # A re-read: one statement, no savepoint to unwind.
            existing = Message.objects.only("pk").get(conversation=conversation, platform_message_ref=item.message_ref)
            return Stored(conversation.pk, existing.pk, created=False)
        if item.direction == Direction.INBOUND:
            newest = conversation.last_inbound_at
            if newest is None or item.sent_at > newest:
                updates["last_inbound_at"] = item.sent_at
        if updates:
            Conversation.objects.filter(pk=conversation.pk).update(**updates)
            for field, value in updates.items():
                setattr(conversation, field, value)
        if item.direction == Direction.INBOUND and conversation.status != ConversationStatus.OPEN:
            # A renter writing into a resolved or snoozed conversation wakes it: back in front of
            # a person, the assignee told (the escalation door reopens it).
            conversation_escalate(
                conversation_id=conversation.pk,
                reasons=[HoldReason.of(ReasonCode.RENTER_WROTE, f"the conversation was {conversation.status}")],
                system="ingest",
                locked=conversation,
            )
        if inbound:
            return Stored(conversation.pk, message.pk, created=True, message=message, conversation=conversation)
        return Stored(conversation.pk, message.pk, created=True)


#: Our rows an outbound message on the platform may be: being sent, maybe sent, or sent.
_OURS = (OutboundStatus.SENDING, OutboundStatus.UNKNOWN, OutboundStatus.SENT)


def outbound_seen(*, stored: Stored, item: Inbound) -> bool:
    """Return True if an outbound message seen on the platform is ours; else hand the conversation to people.

    Ours means a row with that platform ref, or a row being sent, maybe sent or sent whose
    text :func:`platforms.textmatch.match` recognises however the site rendered it (a
    truncated preview counts: ingest must never take the bot's words for a person's). A row
    still ``sending`` or ``unknown`` that the whole text matches is reconciled to ``sent``
    here. Anything else a person typed on the platform itself: a human reply wins, the bot
    goes silent there.
    """
    conversation_id = stored.conversation_id
    ours = OutboundMessage.objects.filter(
        conversation_id=conversation_id, platform_message_ref=item.message_ref
    ).exists()
    if not ours:
        rows = list(
            OutboundMessage.objects.filter(conversation_id=conversation_id, status__in=_OURS)
            .order_by("pk")
            .only("pk", "status", "body")
        )
        kinds = {row.pk: textmatch.match(row.body, item.body, previews=False) for row in rows}
        pending = [r for r in rows if r.status != OutboundStatus.SENT and kinds[r.pk].full]
        if pending:
            outbound_mark_sent(
                outbound_id=pending[0].pk,
                receipt=Receipt(item.thread_ref, item.message_ref, item.sent_at),
                reconciled=True,
            )
        ours = any(kind is not textmatch.MatchKind.NONE for kind in kinds.values())
    if ours:
        Message.objects.filter(pk=stored.message_id).update(sent_by_bot=True)
        return True
    with transaction.atomic():
        conversation_escalate(
            conversation_id=conversation_id,
            reasons=[HoldReason.of(ReasonCode.HUMAN_REPLIED, "a person answered on the platform itself")],
            system="ingest",
        )
        outbound_cancel_for_conversation(conversation_id=conversation_id, reason=str(ReasonCode.HUMAN_REPLIED))
    return False


def decision_failed(*, conversation_id: int, error: BaseException) -> None:
    """The decision step failed for a stored message: the message stays, a person is asked to look."""
    conversation_escalate(
        conversation_id=conversation_id,
        reasons=[HoldReason.of(ReasonCode.DECISION_FAILED, type(error).__name__)],
        system="ingest",
    )
