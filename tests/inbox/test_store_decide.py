"""The decision in the transaction that stored the message: the stored rows, not a second read of them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.services import inbound_decide, message_store
from platforms.connectors.base import Inbound
from platforms.models import PlatformAccount
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
