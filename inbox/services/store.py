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
import functools
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.sql import InsertQuery, Query

from inbox.choices import ConversationStatus, Direction, OutboundStatus, ReasonCode
from inbox.holds import HoldReason
from inbox.models import Conversation, Listing, Message, OutboundMessage, Unit
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
    transaction wrote them, the conversation locked (by the upsert that stored the message) until it ends: the
    decision in the same transaction takes them as they are instead of reading them again
    (``inbound_decide(stored=...)``).
    """

    conversation_id: int
    message_id: int
    created: bool
    message: Message | None = dataclasses.field(default=None, compare=False, repr=False)
    conversation: Conversation | None = dataclasses.field(default=None, compare=False, repr=False)


def _conversation_for(account: PlatformAccount, item: Inbound) -> Conversation:
    """Return the thread's conversation for our side's message, creating it on its first message (no lock)."""
    rows = Conversation.objects.filter(account=account, thread_ref=item.thread_ref)
    found = rows.first()
    if found is not None:
        found.account = account  # The caller's row, with its platform: no read of its own.
        return found
    conversation = Conversation(
        account=account,
        thread_ref=item.thread_ref,
        renter_handle=item.sender_handle,
        listing_ref_seen=item.listing_ref or item.listing_url,
    )
    if insert_unless_exists(conversation):
        return conversation
    # Another job created it meanwhile (the unique account and thread key): that row is the one.
    found = rows.get()
    found.account = account
    return found


#: The rows the decision reads with the conversation (``select_related("listing", "unit__listing")``):
#: (model, alias, (alias, column) of the row it hangs from).
_JOINED: tuple[tuple[type[Model], str, tuple[str, str]], ...] = (
    (Listing, "l", ("c", "listing_id")),
    (Unit, "u", ("c", "unit_id")),
    (Listing, "ul", ("u", "listing_id")),
)


def _message_fields() -> list[Any]:
    """Return the message's fields the statement writes from parameters (its conversation comes from the upsert)."""
    meta = Message._meta
    return [f for f in meta.local_concrete_fields if f is not meta.auto_field and f.name != "conversation"]


@functools.cache
def _inbound_sql(using: str) -> tuple[str, str, str, tuple[Any, ...]]:
    """Return the statement's parts: the upsert's conflict clause, the message's INSERT, the final SELECT and its columns."""
    qn = connections[using].ops.quote_name
    table, last = qn(Conversation._meta.db_table), qn("last_inbound_at")
    conflict = (
        f"ON CONFLICT ({qn('account_id')}, {qn('thread_ref')}) DO UPDATE SET "
        f"{last} = GREATEST({table}.{last}, EXCLUDED.{last}) RETURNING {table}.*"
    )
    message_table, message_pk = qn(Message._meta.db_table), qn(Message._meta.pk.column)
    columns = ", ".join([qn("conversation_id"), *(qn(f.column) for f in _message_fields())])
    placeholders = ", ".join(["%s"] * len(_message_fields()))
    insert_message = (
        f"INSERT INTO {message_table} ({columns}) SELECT c.{qn('id')}, {placeholders} FROM c "  # noqa: S608 - names from the models.
        f"ON CONFLICT DO NOTHING RETURNING {message_table}.{message_pk}"
    )
    selects: list[str] = []
    expressions: list[Any] = []
    joins: list[str] = []
    tables: list[tuple[type[Model], str, tuple[str, str] | None]] = [(Conversation, "c", None), *_JOINED]
    for model, alias, parent in tables:
        fields = model._meta.concrete_fields
        selects += [f"{alias}.{qn(f.column)}" for f in fields]
        expressions += [f.get_col(alias) for f in fields]
        if parent is not None:
            pk = qn(model._meta.pk.column)
            on = f"{alias}.{pk} = {parent[0]}.{qn(parent[1])}"
            joins.append(f"LEFT JOIN {qn(model._meta.db_table)} {alias} ON {on}")
    selects.append(f"(SELECT m.{message_pk} FROM m)")  # noqa: S608 - the id the message's INSERT returned.
    select = f"SELECT {', '.join(selects)} FROM c {' '.join(joins)}"  # noqa: S608 - names from the models.
    return conflict, insert_message, select, tuple(expressions)


def _message(item: Inbound, *, conversation: Conversation | None = None) -> Message:
    """The unsaved row of a message read on the platform (the renter's path sets its conversation later)."""
    return Message(
        conversation=conversation,
        direction=item.direction,
        platform_message_ref=item.message_ref,
        sender_name=item.sender_name,
        body=item.body,
        sent_at=item.sent_at,
    )


def _store_inbound(account: PlatformAccount, item: Inbound) -> tuple[Conversation, Message | None]:
    """Upsert a renter's thread's conversation and insert the message, in one statement.

    Returns the conversation locked, with its listing and unit, and the message row, or None when
    the message was stored before (a re-read).

    The conversation: ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``. A new thread's row is
    inserted with what the message tells (the renter, the listing reference, ``last_inbound_at``);
    an existing row gets ``last_inbound_at`` moved forward (never back) and is locked until the
    transaction ends, as ``SELECT ... FOR UPDATE`` would; a concurrent job's insert of the same
    thread is waited for and then updated (a conflict spends a number of the id sequence, as any
    refused insert does). A re-read message changes nothing there: its time is not after
    ``last_inbound_at``, which only ever moves forward (what else a new message fills in is the
    caller's, once it knows the message is new: an erased conversation must not take the renter's
    name back from a message read again). ``updated_at`` is left alone, as before (a renter's
    message moves ``last_inbound_at`` only).

    The message: ``INSERT ... SELECT`` from the upserted row, ``ON CONFLICT DO NOTHING`` (the unique
    conversation and platform ref decide, with no savepoint), in the same statement.
    """
    using = router.db_for_write(Conversation)
    connection = connections[using]
    meta = Conversation._meta
    new = Conversation(
        account=account,
        thread_ref=item.thread_ref,
        renter_name=item.sender_name,
        renter_handle=item.sender_handle,
        listing_ref_seen=item.listing_ref or item.listing_url,
        last_inbound_at=item.sent_at,
    )
    insert = InsertQuery(Conversation)
    insert.insert_values([f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated], [new])
    [(insert_sql, insert_params)] = insert.get_compiler(using=using).as_sql()
    message = _message(item)
    message_params = [f.get_db_prep_save(f.pre_save(message, True), connection) for f in _message_fields()]
    conflict, insert_message, select, expressions = _inbound_sql(using)
    sql = f"WITH c AS ({insert_sql} {conflict}), m AS ({insert_message}) {select}"
    compiler = Query(Conversation).get_compiler(using=using)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*insert_params, *message_params])
        rows = cursor.fetchall()
    [values] = list(compiler.apply_converters(rows, compiler.get_converters([*expressions, None])))
    loaded: list[Model | None] = []
    start = 0
    models: list[type[Model]] = [Conversation, *(joined[0] for joined in _JOINED)]
    for model in models:
        fields = model._meta.concrete_fields
        part = values[start : start + len(fields)]
        start += len(fields)
        missing = part[fields.index(model._meta.pk)] is None  # A LEFT JOIN that found no row.
        loaded.append(None if missing else model.from_db(using, [f.attname for f in fields], part))
    conversation, listing, unit, unit_listing = loaded
    assert isinstance(conversation, Conversation)  # noqa: S101 - RETURNING gives the row back.
    meta.get_field("account").set_cached_value(conversation, account)
    meta.get_field("listing").set_cached_value(conversation, listing)
    meta.get_field("unit").set_cached_value(conversation, unit)
    if unit is not None:
        Unit._meta.get_field("listing").set_cached_value(unit, unit_listing)
    message_id = values[-1]
    if message_id is None:
        return conversation, None
    message.pk, message.conversation = message_id, conversation
    message._state.adding, message._state.db = False, using
    return conversation, message


def message_store(*, account: PlatformAccount, item: Inbound) -> Stored:
    """Upsert the conversation and insert the message in one transaction; a re-read is a no-op.

    Inside the caller's transaction (ingest's, with the verdict) it adds no savepoint of its own.
    """
    with transaction.atomic(savepoint=False):
        inbound = item.direction == Direction.INBOUND
        updates: dict[str, object] = {}
        if inbound:
            # A renter's message is decided in this transaction, under its conversation's lock: the
            # statement that stores it takes the lock. Our side's messages lock outbound rows first
            # (outbound_seen), as the send job does.
            conversation, message = _store_inbound(account, item)
            if not conversation.renter_name and item.sender_name:
                updates["renter_name"] = item.sender_name
            if not conversation.renter_handle and item.sender_handle:
                updates["renter_handle"] = item.sender_handle
        else:
            conversation = _conversation_for(account, item)
            message = _message(item, conversation=conversation)
            if not insert_unless_exists(message):
                message = None
        if message is None:  # A re-read: no savepoint to unwind.
            existing = Message.objects.only("pk").get(conversation=conversation, platform_message_ref=item.message_ref)
            return Stored(conversation.pk, existing.pk, created=False)
        if not conversation.listing_ref_seen and (item.listing_ref or item.listing_url):
            updates["listing_ref_seen"] = item.listing_ref or item.listing_url
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
