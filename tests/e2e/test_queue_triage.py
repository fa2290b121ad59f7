"""Triage in the queue, as agents do it in real Chromium: tick several, act once, read what was skipped.

Two agents work at once (two browser contexts). The queue runs on Playwright's paused clock,
so its 30 s refresh happens only when the test says (``clock.run_for``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inbox.models import OutboundMessage
from leasebot.core.models import AuditLog
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFRESH_MS = 30_000
PHONE = (390, 844)


def _team() -> tuple[Any, Any, Any]:
    account = PlatformAccountFactory(label="brooklyn")
    bob, carol = UserFactory(username="bob-agent", role="agent"), UserFactory(username="carol-agent", role="agent")
    for agent in (bob, carol):
        account_grant(user=agent, account=account)
    return account, bob, carol


def _draft(account: Any, renter: str, **kwargs: Any) -> OutboundMessage:
    conversation = ConversationFactory(account=account, renter_name=renter)
    MessageFactory(conversation=conversation, body=f"Hi, {renter} here: is the room free in June?")
    draft: OutboundMessage = OutboundFactory(conversation=conversation, body=f"Hello {renter}, yes it is.", **kwargs)
    return draft


def _queue_on_paused_clock(page: Page, base_url: str, query: str = "") -> None:
    start = timezone.now()
    page.clock.install(time=start)
    page.clock.pause_at(start + timedelta(seconds=1))
    page.goto(base_url + "/review/" + query)


def _tick(page: Page, draft: OutboundMessage) -> None:
    page.locator(f".q-item[data-key='outbound-{draft.pk}'] .q-tick").check()


def test_bulk_approve_three_while_another_agent_rejects_one_names_the_skipped_renter(pages: Any, shot: Any) -> None:
    # given: three drafts in Bob's queue; Carol works beside him
    account, bob_user, _carol = _team()
    ann, ben, cat = (_draft(account, name) for name in ("Ann Avery", "Ben Brook", "Cat Cole"))
    bob = pages.login("bob-agent")
    _queue_on_paused_clock(bob, pages.base_url)
    expect(bob.locator(".q-item")).to_have_count(3)
    card = bob.locator(f".q-item[data-key='outbound-{ann.pk}']")
    expect(card.locator(".said")).to_contain_text("Ann Avery wrote: ")
    expect(card.locator(".said")).to_contain_text("is the room free in June?")
    expect(card.locator(".assignee")).to_have_text("nobody assigned")

    # when: Bob ticks all three; the bar names them
    for draft in (ann, ben, cat):
        _tick(bob, draft)
    expect(bob.locator("#bulk-summary")).to_have_text("3 selected: Ann Avery, Ben Brook, Cat Cole")
    shot(bob, "queue-bulk")

    # and Carol rejects Ben's draft first, in her own browser
    carol = pages.login("carol-agent")
    carol.goto(pages.base_url + f"/review/conversations/{ben.conversation_id}/")
    expect(carol.locator("#draft-text")).to_have_value(ben.body)
    carol.fill("#draft-reject-reason", "wrong unit")
    carol.click("#draft-reject")
    expect(carol.locator(".toast").filter(has_text="Rejected the draft for")).to_be_visible()

    # and Bob approves in bulk, confirming the count and the names
    bob.click("#bulk-approve")
    expect(bob.locator("#modal-title")).to_have_text("Approve 3 items?")
    expect(bob.locator("#modal-text")).to_contain_text("Ann Avery, Ben Brook, Cat Cole")
    bob.click("#modal-ok")

    # then: the result names Ben as skipped and why; Ann's and Cat's are queued, Ben's is not
    result = bob.locator("#bulk-result")
    expect(result.locator(".bulk-head")).to_have_text("Approved 2 of 3. Skipped 1:")
    skipped = result.locator(".bulk-skipped li")
    expect(skipped).to_have_count(1)
    expect(skipped).to_contain_text("Ben Brook — it changed since you saw it (the reply is now cancelled)")
    expect(skipped).to_contain_text("Nothing was sent to them.")
    expect(bob.locator(".q-item")).to_have_count(0)
    expect(bob.locator("#bulk-bar")).to_be_hidden()
    statuses = dict(OutboundMessage.objects.filter(pk__in=[ann.pk, ben.pk, cat.pk]).values_list("pk", "status"))
    assert statuses == {ann.pk: "queued", ben.pk: "cancelled", cat.pk: "queued"}
    assert not AuditLog.objects.filter(action="outbound.approve", object_id=str(ben.pk)).exists()
    assert AuditLog.objects.filter(action="outbound.approve", actor=bob_user).count() == 2
    shot(bob, "queue-bulk-result")
    assert pages.errors == []


def test_ticks_are_kept_by_item_across_a_refresh_that_reorders_the_queue(pages: Any) -> None:
    # given: Bob ticks Cat's draft (third in the queue)
    account, _bob, _carol = _team()
    ann, ben, cat = (_draft(account, name) for name in ("Ann", "Ben", "Cat"))
    bob = pages.login("bob-agent")
    _queue_on_paused_clock(bob, pages.base_url)
    expect(bob.locator(".q-item")).to_have_count(3)
    _tick(bob, cat)

    # when: Ann's draft leaves the queue (handled elsewhere) and the 30 s refresh runs
    OutboundMessage.objects.filter(pk=ann.pk).update(status="cancelled")
    bob.clock.run_for(REFRESH_MS)
    expect(bob.locator(".q-item")).to_have_count(2)

    # then: Cat's card is still the ticked one, not whatever moved into its place
    expect(bob.locator(".q-item.ticked")).to_have_count(1)
    expect(bob.locator(".q-item.ticked")).to_have_attribute("data-key", f"outbound-{cat.pk}")
    expect(bob.locator(f".q-item[data-key='outbound-{ben.pk}'] .q-tick")).not_to_be_checked()
    expect(bob.locator("#bulk-summary")).to_have_text("1 selected: Cat")

    # when: Bob rejects the ticked one in bulk, with a reason
    bob.click("#bulk-reject")
    expect(bob.locator("#modal-text")).to_contain_text("Reject the drafts to Cat")
    bob.fill("#modal-reason", "renter found a place")
    bob.click("#modal-ok")

    # then: only Cat's is rejected, with the reason
    expect(bob.locator("#bulk-result .bulk-head")).to_have_text("Rejected 1 of 1.")
    assert {r.pk: r.status for r in OutboundMessage.objects.filter(pk__in=[ben.pk, cat.pk])} == {
        ben.pk: "draft",
        cat.pk: "cancelled",
    }
    assert OutboundMessage.objects.get(pk=cat.pk).rejected_reason == "renter found a place"
    assert pages.errors == []


def test_bulk_assign_to_a_colleague(pages: Any) -> None:
    account, _bob, carol_user = _team()
    ann, ben = _draft(account, "Ann"), _draft(account, "Ben")
    bob = pages.login("bob-agent")
    _queue_on_paused_clock(bob, pages.base_url)
    expect(bob.locator(".q-item")).to_have_count(2)
    bob.check("#bulk-all")
    expect(bob.locator("#bulk-summary")).to_have_text("2 selected: Ann, Ben")
    bob.locator("#bulk-agent").select_option(label="carol-agent")
    bob.click("#bulk-assign")
    expect(bob.locator("#modal-text")).to_have_text("Give the conversations of Ann, Ben to carol-agent.")
    bob.click("#modal-ok")
    expect(bob.locator("#bulk-result .bulk-head")).to_have_text("Assigned 2 of 2.")
    expect(bob.locator(".q-item .assignee")).to_have_text(["assigned to carol-agent", "assigned to carol-agent"])
    for draft in (ann, ben):
        draft.conversation.refresh_from_db()
        assert draft.conversation.assigned_agent == carol_user
    assert pages.errors == []


def test_clicking_a_count_filters_the_list_and_a_reason_count_sets_the_reason(pages: Any, shot: Any) -> None:
    # given: two drafts (one held for a missing slot) and an escalated conversation
    account, _bob, _carol = _team()
    _draft(account, "Ann")
    held = _draft(account, "Ben", hold_reasons=[{"code": "no_slot", "category": "", "detail": ""}])
    escalated = ConversationFactory(account=account, renter_name="Eve", human_required=True)
    MessageFactory(conversation=escalated, body="I want to talk to a person")
    bob = pages.login("bob-agent")
    _queue_on_paused_clock(bob, pages.base_url)
    expect(bob.locator(".q-item")).to_have_count(3)

    # when: Bob clicks the Escalation count
    bob.locator("#queue-counts a[data-kind='escalation']").click()

    # then: only the escalation shows, the count is marked, and the address keeps it
    expect(bob.locator(".q-item")).to_have_count(1)
    expect(bob.locator(".q-item")).to_have_attribute("data-key", f"conversation-{escalated.pk}")
    expect(bob.locator("#queue-counts a[data-kind='escalation']")).to_have_attribute("aria-current", "true")
    assert "kind=escalation" in bob.url

    # when: Bob clicks Total, then the "No showing slot available" reason count
    bob.locator("#queue-counts a[data-kind='total']").click()
    expect(bob.locator(".q-item")).to_have_count(3)
    bob.locator("#reason-counts a[data-reason='no_slot']").click()

    # then: the list shows Ben's held draft only, with the reason in words, and the filter says so
    expect(bob.locator(".q-item")).to_have_count(1)
    expect(bob.locator(".q-item")).to_have_attribute("data-key", f"outbound-{held.pk}")
    expect(bob.locator(".q-item .reasons")).to_have_text("No showing slot available")
    expect(bob.locator("#f-reason")).to_have_value("no_slot")
    assert "reason=no_slot" in bob.url
    assert pages.errors == []


def test_queue_triage_at_phone_width_keeps_the_first_card_on_screen(pages: Any, shot: Any) -> None:
    account, _bob, _carol = _team()
    for name in ("Alexandra Montgomery-Whitfield", "Ben", "Cat"):
        _draft(account, name, hold_reasons=[{"code": "low_confidence", "category": "", "detail": ""}])
    bob = pages.login("bob-agent", viewport=PHONE)
    _queue_on_paused_clock(bob, pages.base_url)
    first = bob.locator("#queue-list .q-item").first
    expect(first).to_be_visible()
    first.locator(".q-tick").check()
    expect(bob.locator("#bulk-bar")).to_be_visible()
    box = first.bounding_box()
    assert box is not None
    assert box["y"] + 40 < PHONE[1], "the counters, reasons and bulk bar push the queue off the first screen"
    width = bob.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the page scrolls sideways at phone width ({width} px)"
    for control in ("#bulk-approve", "#bulk-reject", "#bulk-assign"):
        control_box = bob.locator(control).bounding_box()
        assert control_box is not None
        assert control_box["height"] >= 36, f"{control} is too small to tap"
    shot(bob, "queue-bulk-phone", full_page=False)
    assert pages.errors == []


def test_conversation_tabs_show_their_counts_and_a_click_applies_that_tab(pages: Any) -> None:
    # given: three conversations, one of them escalated, one resolved
    account, _bob, _carol = _team()
    escalated = ConversationFactory(account=account, renter_name="Eve", human_required=True)
    MessageFactory(conversation=escalated, body="I need a person")
    ConversationFactory(account=account, renter_name="Ann")
    ConversationFactory(account=account, renter_name="Fay", status="resolved")
    bob = pages.login("bob-agent")
    bob.goto(pages.base_url + "/review/conversations/")

    # then: each tab says how many it holds
    tab = bob.locator("#conv-tabs .tab")
    expect(bob.locator("#conv-tabs [data-tab='needs'] .tab-count")).to_have_text("1")
    expect(bob.locator("#conv-tabs [data-tab='resolved'] .tab-count")).to_have_text("1")
    expect(bob.locator("#conv-tabs [data-tab='all'] .tab-count")).to_have_text("3")
    expect(tab.filter(has_text="Needs a human")).to_have_attribute("aria-label", "Needs a human: 1 conversation")

    # when: Bob clicks the All count
    bob.locator("#conv-tabs [data-tab='all'] .tab-count").click()

    # then: the list shows all three
    expect(bob.locator("#conv-list .q-item")).to_have_count(3)
    expect(bob.locator("#conv-tabs [data-tab='all']")).to_have_attribute("aria-current", "page")
    assert pages.errors == []
