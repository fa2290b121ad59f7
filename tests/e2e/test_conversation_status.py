"""Conversation status (snooze, resolve, reopen), the unit and reason filters, the lead panel, unit linking
and zone-labelled times, driven in real Chromium as agents would, two at once where two act."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inbox.models import Conversation
from inbox.services.store import message_store
from leasebot.core.models import AuditLog
from platforms.connectors.base import Inbound
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, ShowingFactory, UnitFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESCALATED = [{"code": "high_risk", "category": "", "detail": ""}]


def _names(page: Page) -> list[str]:
    """The renters listed, once the list has loaded (its count line is written after every load)."""
    expect(page.locator("#conv-count")).to_have_text(re.compile(r"^\d+ conversation"))
    expect(page.locator("#conv-state")).not_to_have_class(re.compile("loading"))
    return sorted(page.locator("#conv-list .q-title a").all_inner_texts())


def _tab(page: Page, tab: str) -> list[str]:
    page.locator("#conv-count").evaluate("node => { node.textContent = ''; }")
    page.click(f"#conv-tabs [data-tab='{tab}']")
    expect(page.locator(f"#conv-tabs [data-tab='{tab}']")).to_have_attribute("aria-current", "page")
    return _names(page)


def test_snooze_hides_until_the_renter_writes_and_resolve_moves_to_resolved(
    pages: Any, shot: Callable[[Page, str], None]
) -> None:
    # given: two agents on one account, two escalated conversations
    account = PlatformAccountFactory(label="brooklyn")
    bob = UserFactory(username="bob-agent", role="agent")
    carol = UserFactory(username="carol-agent", role="agent")
    for agent in (bob, carol):
        account_grant(user=agent, account=account)
    eve = ConversationFactory(account=account, renter_name="Eve", human_required=True, human_reasons=ESCALATED)
    fay = ConversationFactory(account=account, renter_name="Fay", human_required=True, human_reasons=ESCALATED)
    MessageFactory(conversation=eve, body="Can I see it on Saturday?")
    MessageFactory(conversation=fay, body="Thanks, all clear now.")
    bob_page = pages.login("bob-agent")
    carol_page = pages.login("carol-agent")
    carol_page.goto(pages.base_url + "/review/conversations/?tab=needs")
    assert _names(carol_page) == ["Eve", "Fay"]

    # when: Bob snoozes Eve for a day, and resolves Fay
    bob_page.goto(pages.base_url + f"/review/conversations/{eve.pk}/")
    expect(bob_page.locator("#c-status")).to_have_text("Open")
    bob_page.select_option("#c-snooze", "1d")
    expect(bob_page.locator(".toast").filter(has_text="Snoozed Eve until")).to_be_visible()
    expect(bob_page.locator("#c-status")).to_contain_text(re.compile(r"Snoozed until .+ E[SD]T by bob-agent"))
    expect(bob_page.locator("#c-reopen")).to_be_visible()
    bob_page.goto(pages.base_url + f"/review/conversations/{fay.pk}/")
    bob_page.click("#c-resolve")
    expect(bob_page.locator(".toast").filter(has_text="Resolved Fay")).to_be_visible()
    expect(bob_page.locator("#c-history")).to_contain_text("resolve by bob-agent")

    # then: Carol's working tab no longer shows them; the Snoozed and Resolved tabs do
    carol_page.reload()
    assert _names(carol_page) == []
    assert _tab(carol_page, "snoozed") == ["Eve"]
    expect(carol_page.locator("#conv-list .kind.snoozed")).to_contain_text("Snoozed until")
    assert _tab(carol_page, "resolved") == ["Fay"]
    expect(carol_page.locator("#conv-list")).to_contain_text("Resolved by bob-agent")
    shot(carol_page, "conversations-resolved")

    # when: Eve writes again (ingest stores her message)
    message_store(
        account=account,
        item=Inbound(
            thread_ref=eve.thread_ref,
            message_ref="eve-again",
            sender_name="Eve",
            body="Hello? Still there?",
            sent_at=timezone.now(),
        ),
    )

    # then: Eve is back in Carol's "Needs a human", saying why; nothing hides her message
    assert _tab(carol_page, "needs") == ["Eve"]
    expect(carol_page.locator("#conv-list")).to_contain_text("Hello? Still there?")
    expect(carol_page.locator("#conv-list .reasons")).to_contain_text("the conversation was snoozed")
    assert Conversation.objects.get(pk=eve.pk).status == "open"
    assert pages.errors == []


def test_filters_by_unit_and_reason_in_the_queue_and_the_list(pages: Any) -> None:
    account = PlatformAccountFactory(label="brooklyn")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    loft = UnitFactory(name="Loft", listing__title="Bedford lofts")
    unlinked = [{"code": "unlinked", "category": "", "detail": ""}]
    ConversationFactory(account=account, renter_name="Gus", unit=loft, human_required=True, human_reasons=ESCALATED)
    ConversationFactory(account=account, renter_name="Hal", human_required=True, human_reasons=unlinked)
    page = pages.login("bob-agent")

    # the queue: by unit, then by reason, kept in the address
    expect(page.locator("#queue-list .q-item")).to_have_count(2)
    page.select_option("#f-unit", label="Bedford lofts / Loft")
    expect(page.locator("#queue-list .q-item")).to_have_count(1)
    expect(page.locator("#queue-list")).to_contain_text("Gus")
    expect(page.locator("#queue-list")).to_contain_text("Bedford lofts / Loft")
    page.select_option("#f-unit", "")
    page.select_option("#f-reason", label="Message not linked to a unit")
    expect(page.locator("#queue-list .q-item")).to_have_count(1)
    expect(page.locator("#queue-list")).to_contain_text("Hal")
    assert "reason=unlinked" in page.url
    page.reload()
    expect(page.locator("#f-reason")).to_have_value("unlinked")
    expect(page.locator("#queue-list .q-item")).to_have_count(1)

    # the list: "No unit linked"
    page.goto(pages.base_url + "/review/conversations/?tab=all")
    assert _names(page) == ["Gus", "Hal"]
    page.locator("#conv-count").evaluate("node => { node.textContent = ''; }")
    page.select_option("#f-unit", "none")
    assert _names(page) == ["Hal"]
    assert pages.errors == []


def test_lead_panel_link_a_unit_and_times_say_their_zone(pages: Any) -> None:
    # given: an account on the west coast; the agent's browser is in New York
    account = PlatformAccountFactory(label="la", time_zone="America/Los_Angeles")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    conv = ConversationFactory(
        account=account,
        renter_name="Ida",
        renter_handle="ida-88",
        lead_profile={"move_in_date": "2027-03-01", "budget": 2100, "pets": "a cat", "work": "teacher"},
    )
    MessageFactory(conversation=conv, body="Is the studio free in March?")
    older = ConversationFactory(account=account, renter_name="Ida", renter_handle="ida-88")
    ConversationFactory(renter_name="Ida", renter_handle="ida-88")  # Another account: not Bob's to see.
    studio = UnitFactory(name="Studio 2", listing__title="Sunset court")
    starts = timezone.now().replace(hour=18, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    ShowingFactory(unit=studio, conversation=conv, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30))
    page = pages.login("bob-agent")

    # when: Bob opens the conversation
    page.goto(pages.base_url + f"/review/conversations/{conv.pk}/")

    # then: the lead panel shows what the renter told, and the other thread Bob may see
    # (the qualification answers in its form, the rest as facts; tests/e2e/test_lead_panel.py edits them)
    expect(page.locator("#q-move_in_date")).to_have_value("2027-03-01")
    expect(page.locator("#q-budget")).to_have_value("2100")
    expect(page.locator("#q-pets")).to_have_value("a cat")
    expect(page.locator("#c-lead-facts")).to_contain_text("Workteacher")
    expect(page.locator("#c-other li")).to_have_count(1)
    expect(page.locator("#c-other a")).to_have_attribute("href", f"/review/conversations/{older.pk}/")
    # every time says its zone: message times in Bob's, the showing in the account's and Bob's
    expect(page.locator("#c-thread .msg-head .muted").first).to_contain_text(re.compile(r"E[SD]T"))
    expect(page.locator("#c-showings li").first).to_contain_text(re.compile(r"P[SD]T \(.+ E[SD]T for you\)"))

    # when: Bob links the conversation to the studio
    expect(page.locator("#c-unit")).to_contain_text("Not linked to a unit")
    page.select_option("#c-unit-pick", label="Sunset court / Studio 2")
    page.click("#c-unit-link")

    # then: it says so, the unit panel and the history show it, and the audit has who did it
    expect(page.locator(".toast").filter(has_text="Ida linked to Sunset court / Studio 2")).to_be_visible()
    expect(page.locator("#c-unit")).to_contain_text("Sunset court / Studio 2")
    expect(page.locator("#c-history")).to_contain_text("link by bob-agent")
    row = AuditLog.objects.get(action="conversation.link", object_id=str(conv.pk))
    assert row.actor_label == "bob-agent"
    assert row.after["unit"] == studio.pk
    assert pages.errors == []
