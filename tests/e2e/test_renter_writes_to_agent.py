"""A renter writes, through the sandbox, into a conversation an agent took over: nothing is lost."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from inbox import enqueue
from inbox.models import Message, OutboundMessage
from inbox.tasks import decide_message
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory
from tests.platforms.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def decide_jobs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The decision jobs the app enqueues (the live server runs in this process); the test is the worker."""
    jobs: list[int] = []
    monkeypatch.setattr(enqueue, "decide", jobs.append)
    return jobs


def test_renter_writes_into_taken_over_conversation_and_after_hand_back_the_bot_answers(
    pages: Any,
    fresh_sandbox: Any,
    sandbox_client: Any,
    sandbox_login: Any,
    no_pacing: Any,
    worker_job: Any,
    decide_jobs: list[int],
    shot: Callable[[Any, str], None],
) -> None:
    # given: a sandbox thread mirrored in lease-bot, taken over by Bob in the UI
    client = sandbox_client
    account = sandbox_login("spareroom", username="leasing@example.test").account_row(label="brooklyn")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    seeded = client.seed_message(
        "spareroom",
        "leasing@example.test",
        renter_name="Jamie Renter",
        body="Hi! Is the room free?",
        listing_ref="5001",
    )
    conversation = ConversationFactory(account=account, thread_ref=str(seeded["thread_id"]), renter_name="Jamie Renter")
    MessageFactory(
        conversation=conversation, platform_message_ref=str(seeded["message_id"]), body="Hi! Is the room free?"
    )
    page = pages.login("bob-agent")
    page.goto(pages.base_url + f"/review/conversations/{conversation.pk}/")
    expect(page.locator("#c-meta")).to_contain_text("bot active")
    page.click("#c-takeover")
    expect(page.locator(".toast").filter(has_text="You took over Jamie Renter")).to_be_visible()
    page.goto(pages.base_url + "/review/")
    expect(page.locator(".state.empty")).to_be_visible()
    expect(page.locator("#needs-badge")).to_be_hidden()

    # when: the renter writes again on the platform, and ingest reads it
    client.seed_message(
        "spareroom",
        "leasing@example.test",
        renter_name="Jamie Renter",
        body="Can I bring my dog to the viewing?",
        thread_id=seeded["thread_id"],
    )
    summary = worker_job("ingest", account.pk)

    # then: the message is stored, the bot stays silent, and the conversation is back in Bob's queue
    assert summary.new_inbound == 1
    new = Message.objects.get(conversation=conversation, body="Can I bring my dog to the viewing?")
    assert not OutboundMessage.objects.filter(conversation=conversation).exists()
    page.reload()
    item = page.locator(f".q-item[data-key='conversation-{conversation.pk}']")
    expect(item).to_contain_text("The renter wrote while a person owns the conversation")
    expect(item.locator(".preview")).to_have_text("Can I bring my dog to the viewing?")
    expect(page.locator("#needs-badge")).to_have_text("1")
    shot(page, "queue-renter-wrote")

    # when: Bob hands the conversation back to the bot, and the worker runs the job it enqueued
    item.locator("a").click()
    page.wait_for_url(re.compile(rf"/review/conversations/{conversation.pk}/$"))
    expect(page.locator("#c-takeover")).to_have_text("Hand back to the bot")
    page.click("#c-takeover")
    expect(page.locator(".toast").filter(has_text="Handed Jamie Renter back to the bot")).to_be_visible()
    assert decide_jobs == [new.pk]
    decide_message.apply(args=[new.pk]).get()

    # then: the bot has answered that very message (once), and the page shows its reply
    replies = OutboundMessage.objects.filter(conversation=conversation)
    assert [(r.in_reply_to_id, r.source) for r in replies] == [(new.pk, "bot")]
    page.reload()
    expect(page.locator(f".ob[data-id='{replies.get().pk}']")).to_be_visible()
    assert pages.errors == []
