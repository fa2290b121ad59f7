"""A renter who writes where a person, not the bot, answers: back in the queue, the assignee told, nothing lost."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core import mail

from inbox import enqueue, holds
from inbox.choices import ReasonCode
from inbox.models import Decision, OutboundMessage
from inbox.services import conversation_hand_back, conversation_take_over, inbound_decide, outbound_reply_manual
from inbox.tasks import decide_message
from tests.conftest import client_for
from tests.inbox.conftest import MONDAY_0800_NY
from tests.platforms.factories import UserFactory


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(MONDAY_0800_NY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def decide_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The messages hand-back asks a worker to decide on (the worker itself is run by the test)."""
    calls: list[int] = []
    monkeypatch.setattr(enqueue, "decide", calls.append)
    return calls


@pytest.fixture
def agent(settings: Any) -> Any:
    settings.LEASEBOT_AGENT_EMAIL_NOTIFICATIONS = True
    settings.LEASEBOT_AGENT_WEBHOOK_URL = ""
    return UserFactory(username="sam-agent", role="agent", email="sam@leasing.test")


def test_renter_writes_into_taken_over_conversation_back_in_queue_and_assignee_told(
    world: Any, auto_send: Any, agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: Sam took the conversation over, and it waits for no one
    conversation = world.conversation(renter_name="Dana")
    conversation_take_over(conversation_id=conversation.pk, agent=agent)
    admin = client_for(UserFactory(role="admin"))
    assert not [i for i in admin.get("/api/v1/review/queue/").json()["items"] if i["conversation"] == conversation.pk]

    # when: the renter writes
    with django_capture_on_commit_callbacks(execute=True):
        message = world.inbound("Can I bring my dog to the viewing?", conversation=conversation)
        assert inbound_decide(message_id=message.pk) is None

    # then: the bot stays silent, the conversation is in the queue with the reason, and Sam is told
    assert not OutboundMessage.objects.filter(conversation=conversation).exists()
    conversation.refresh_from_db()
    assert conversation.human_required
    assert holds.has(conversation.human_reasons, ReasonCode.RENTER_WROTE)
    items = [i for i in admin.get("/api/v1/review/queue/").json()["items"] if i["conversation"] == conversation.pk]
    assert [(i["kind"], i["reasons"]) for i in items] == [
        ("escalation", ["The renter wrote while a person owns the conversation"])
    ]
    assert [m.to for m in mail.outbox] == [["sam@leasing.test"]]


def test_hand_back_lets_the_bot_answer_what_the_renter_wrote_meanwhile(
    world: Any, auto_send: Any, agent: Any, decide_calls: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    # given: the renter wrote twice while Sam owned the conversation
    conversation = world.conversation(renter_name="Dana")
    conversation_take_over(conversation_id=conversation.pk, agent=agent)
    world.inbound("Hello?", conversation=conversation)
    inbound_decide(message_id=conversation.messages.get().pk)
    last = world.inbound("Is the apartment still available?", conversation=conversation)
    inbound_decide(message_id=last.pk)
    assert not Decision.objects.exists()

    # when: Sam hands it back
    with django_capture_on_commit_callbacks(execute=True):
        conversation_hand_back(conversation_id=conversation.pk, agent=agent)

    # then: a worker is asked to decide on the last message, and deciding answers it once
    assert decide_calls == [last.pk]
    decision_id = decide_message.apply(args=[last.pk]).get()
    assert Decision.objects.get(pk=decision_id).message_id == last.pk
    reply = OutboundMessage.objects.get(conversation=conversation)
    assert (reply.in_reply_to_id, reply.status) == (last.pk, "queued")
    conversation.refresh_from_db()
    assert not conversation.human_required

    # when: the job runs again (a redelivery), or the conversation is handed back again
    decide_message.apply(args=[last.pk]).get()
    conversation_take_over(conversation_id=conversation.pk, agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_hand_back(conversation_id=conversation.pk, agent=agent)

    # then: still one decision and one reply (the second take-over withdrew it, as take-overs do)
    assert decide_calls == [last.pk]
    assert Decision.objects.count() == 1
    assert OutboundMessage.objects.filter(conversation=conversation).count() == 1


def test_hand_back_after_the_agent_answered_leaves_the_message_to_the_agent(
    world: Any, auto_send: Any, agent: Any, decide_calls: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    # given: the renter wrote while Sam owned it, and Sam answered
    conversation = world.conversation()
    conversation_take_over(conversation_id=conversation.pk, agent=agent)
    message = world.inbound("Is the apartment still available?", conversation=conversation)
    inbound_decide(message_id=message.pk)
    outbound_reply_manual(conversation=conversation, actor=agent, body="Yes it is, Dana.", idempotency_key="k1")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        conversation_hand_back(conversation_id=conversation.pk, agent=agent)

    # then: the bot does not answer it a second time
    assert decide_calls == []
