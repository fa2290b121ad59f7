"""The decision in the transaction that stored the message: the stored rows, not a second read of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.privacy import erase_conversation
from inbox.services import inbound_decide, message_store
from platforms.connectors.base import Inbound
from platforms.models import PlatformAccount
from tests.inbox.factories import UnitFactory
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _item(ref: str, body: str = "Hi, is the room still free?") -> Inbound:
    return Inbound(thread_ref="t-1", message_ref=ref, sender_name="Ana", body=body, sent_at=timezone.now())


def _account() -> PlatformAccount:
    return PlatformAccount.objects.select_related("platform").get(pk=PlatformAccountFactory().pk)


def test_a_message_stored_and_decided_in_one_transaction_is_read_once() -> None:
    # given: a renter's message stored in the caller's transaction
    account = _account()
    with transaction.atomic():
        stored = message_store(account=account, item=_item("m1"))
        # when: the decision takes what the store returned
        with CaptureQueriesContext(connection) as queries:
            decision = inbound_decide(message_id=stored.message_id, stored=stored)
    # then: decided and answered once, without reading the message or its conversation again
    assert decision is not None
    assert decision.message_id == stored.message_id
    assert OutboundMessage.objects.filter(decision=decision).count() == 1
    read = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in read if f'WHERE "inbox_message"."id" = {stored.message_id}' in sql]
    assert not [sql for sql in read if "FOR UPDATE" in sql]  # The store's lock holds.
    assert not [sql for sql in read if 'FROM "inbox_decision"' in sql]  # Nothing can have decided it yet.
    # and the conversation row stored is the one decided on (its state written once, in place)
    conversation = Conversation.objects.get(pk=stored.conversation_id)
    assert conversation.workflow_outcome == decision.workflow_outcome


def test_a_later_decision_on_the_same_message_reads_it_and_finds_the_first() -> None:
    account = _account()
    with transaction.atomic():
        stored = message_store(account=account, item=_item("m1"))
        first = inbound_decide(message_id=stored.message_id, stored=stored)
    # when: the same message is decided again from its id (the task, the sweep)
    again = inbound_decide(message_id=stored.message_id)
    # then: the standing decision answers it; nothing new
    assert again == first
    assert Decision.objects.count() == 1


def test_a_re_read_message_is_stored_once_and_not_handed_to_the_decision() -> None:
    account = _account()
    with transaction.atomic():
        message_store(account=account, item=_item("m1"))
    with transaction.atomic():
        again = message_store(account=account, item=_item("m1", body="(the same message, read again)"))
    assert not again.created
    assert again.message is None
    assert again.conversation is None
    assert Message.objects.filter(platform_message_ref="m1").count() == 1
    assert Conversation.objects.count() == 1


def test_stored_rows_of_another_message_are_refused() -> None:
    account = _account()
    with transaction.atomic():
        stored = message_store(account=account, item=_item("m1"))
        with pytest.raises(ValueError, match="message_store returned"):
            inbound_decide(message_id=stored.message_id + 1, stored=stored)


def test_the_upsert_moves_last_inbound_at_forward_only_and_fills_a_blank_renter() -> None:
    # given: a thread whose first message came without a sender name
    account = _account()
    newer = timezone.now()
    first = Inbound(thread_ref="t-1", message_ref="m2", sender_name="", body="Is it free?", sent_at=newer)
    with transaction.atomic():
        message_store(account=account, item=first)
    # when: an older message of the thread, with the renter's name, is stored after it
    older = Inbound(
        thread_ref="t-1", message_ref="m1", sender_name="Ana", body="Hello", sent_at=newer - timedelta(minutes=5)
    )
    with transaction.atomic():
        stored = message_store(account=account, item=older)
    # then: the conversation keeps the newer time, takes the name, and is one row
    assert stored.created
    conversation = Conversation.objects.get()
    assert (conversation.last_inbound_at, conversation.renter_name) == (newer, "Ana")
    assert stored.conversation is not None
    assert (stored.conversation.last_inbound_at, stored.conversation.renter_name) == (newer, "Ana")


@pytest.mark.django_db(transaction=True)
def test_the_stored_conversation_comes_locked_with_its_listing_and_unit() -> None:
    # given: a conversation already linked to a unit
    account = _account()
    unit = UnitFactory()
    with transaction.atomic():
        message_store(account=account, item=_item("m1"))
    Conversation.objects.update(listing=unit.listing, unit=unit)
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # Another session, as another job's.
    try:
        # when: the renter writes again
        with transaction.atomic():
            stored = message_store(account=account, item=_item("m2"))
            assert stored.conversation is not None
            # then: its listing and unit (with the unit's listing) came with it: nothing more is read
            with CaptureQueriesContext(connection) as queries:
                assert stored.conversation.unit == unit
                assert stored.conversation.unit.listing == unit.listing
                assert stored.conversation.listing == unit.listing
                assert stored.conversation.account.platform_id == account.platform_id
            assert queries.captured_queries == []
            # and the row is locked until the transaction ends: another session cannot take it
            with pytest.raises(OperationalError), other.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM inbox_conversation WHERE id = %s FOR UPDATE NOWAIT", [stored.conversation_id]
                )
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM inbox_conversation WHERE id = %s FOR UPDATE NOWAIT", [stored.conversation_id]
            )
            assert cursor.fetchone() == (stored.conversation_id,)
    finally:
        other.close()


def test_an_erased_conversation_does_not_take_the_renters_name_back_from_a_message_read_again() -> None:
    # given: a renter's thread, erased on request (the messages stay, anonymised)
    account = _account()
    with transaction.atomic():
        stored = message_store(account=account, item=_item("m1"))
    erase_conversation(conversation_id=stored.conversation_id, actor=None, reason="renter asked")
    # when: the same message is read again from the platform, the renter's name on it
    with transaction.atomic():
        again = message_store(account=account, item=_item("m1"))
    # then: nothing comes back
    assert not again.created
    conversation = Conversation.objects.get(pk=stored.conversation_id)
    assert (conversation.renter_name, conversation.renter_handle) == ("", "")
