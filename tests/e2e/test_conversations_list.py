"""The list of all conversations: tabs, search, and the way into each one, in real Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inbox.api.views import ConversationPagination
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _names(page: Page) -> list[str]:
    """The renters listed, once the list has loaded (a click starts loading at once)."""
    expect(page.locator("#conv-state")).not_to_have_class(re.compile("loading"))
    return sorted(page.locator("#conv-list .q-title a").all_inner_texts())


def test_agent_finds_conversations_by_tab_and_search(pages: Any, shot: Callable[[Page, str], None]) -> None:
    # given: five conversations in different hands, and one on an account Bob may not see
    account = PlatformAccountFactory(label="brooklyn")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    escalated = ConversationFactory(
        account=account,
        renter_name="Ann",
        human_required=True,
        human_reasons=[{"code": "high_risk", "category": "", "detail": ""}],
    )
    taken = ConversationFactory(account=account, renter_name="Ben", taken_over_by=bob, assigned_agent=bob)
    mine = ConversationFactory(account=account, renter_name="Cat", assigned_agent=bob)
    nobody = ConversationFactory(account=account, renter_name="Dan")
    for conv, text in ((escalated, "Is parking included?"), (taken, "Hello"), (mine, "Is there a dishwasher?")):
        MessageFactory(conversation=conv, body=text)
    MessageFactory(conversation=nobody, body="Hi")
    # Eve was answered (by Bob, on the platform) and has not written since: her turn.
    answered = ConversationFactory(account=account, renter_name="Eve", assigned_agent=bob)
    asked = MessageFactory(conversation=answered, body="Is it furnished?")
    MessageFactory(conversation=answered, direction="out", body="Yes, fully.", sent_at=asked.sent_at)
    answered.last_inbound_at = asked.sent_at
    answered.save(update_fields=["last_inbound_at"])
    MessageFactory(conversation=ConversationFactory(renter_name="Not Yours"), body="dishwasher too")
    page = pages.login("bob-agent")

    # when: Bob opens the list (it starts on what needs a human)
    page.click("nav >> text=Conversations")
    page.wait_for_url(re.compile(r"/review/conversations/\?tab=needs$"))

    # then: each tab shows its conversations
    expect(page.locator("#conv-list .q-item")).to_have_count(1)
    expect(page.locator("#conv-list")).to_contain_text("Is parking included?")
    shot(page, "conversations")
    for tab, names in (
        ("taken", ["Ben"]),
        ("mine", ["Ben", "Cat", "Eve"]),
        ("unassigned", ["Ann", "Dan"]),
        ("waiting", ["Eve"]),
        ("all", ["Ann", "Ben", "Cat", "Dan", "Eve"]),
    ):
        page.click(f"#conv-tabs [data-tab='{tab}']")
        expect(page.locator(f"#conv-tabs [data-tab='{tab}']")).to_have_attribute("aria-current", "page")
        expect(page.locator("#conv-count")).to_have_text(f"{len(names)} conversation" + ("s" if len(names) > 1 else ""))
        assert _names(page) == names

    # when: Bob searches the message text
    page.fill("#c-search", "dishwasher")
    page.keyboard.press("Enter")

    # then: only his own account's match, and it opens
    expect(page.locator("#conv-count")).to_have_text("1 conversation matching “dishwasher”")
    assert _names(page) == ["Cat"]
    page.fill("#c-search", "no such words")
    page.keyboard.press("Enter")
    expect(page.locator("#conv-state")).to_have_text("No conversation matches your search in this tab.")
    page.fill("#c-search", "dishwasher")
    page.keyboard.press("Enter")
    page.locator("#conv-list a", has_text="Cat").click()
    page.wait_for_url(re.compile(rf"/review/conversations/{mine.pk}/$"))
    expect(page.locator("#c-title")).to_have_text("Cat")
    assert pages.errors == []


def test_a_tab_clicked_before_the_pages_script_has_run_still_opens_that_tab(pages: Any) -> None:
    # given: Bob's list, whose script has not run yet (a slow phone connection; held back here)
    account = PlatformAccountFactory(label="harlem")
    account_grant(user=UserFactory(username="bob-agent", role="agent"), account=account)
    MessageFactory(conversation=ConversationFactory(account=account, renter_name="Ann", human_required=True), body="Hi")
    MessageFactory(conversation=ConversationFactory(account=account, renter_name="Dan"), body="Hello")
    page = pages.login("bob-agent")
    page.route(re.compile(r"/review/conversations[^/]*\.js$"), lambda route: route.abort())
    page.goto(pages.base_url + "/review/conversations/")
    expect(page.locator("#conv-tabs [data-tab='needs']")).to_have_attribute("aria-current", "page")

    # when: he clicks "All" at once
    page.click("#conv-tabs [data-tab='all']")

    # then: the page he gets is the All tab, and once the script runs it lists everyone
    page.wait_for_url(re.compile(r"/review/conversations/\?tab=all$"))
    expect(page.locator("#conv-tabs [data-tab='all']")).to_have_attribute("aria-current", "page")
    expect(page.locator("#conv-tabs [aria-current]")).to_have_count(1)
    page.unroute(re.compile(r"/review/conversations[^/]*\.js$"))
    page.reload()
    expect(page.locator("#conv-count")).to_have_text("2 conversations")
    assert _names(page) == ["Ann", "Dan"]
    # The script keeps the links whole: a tab opened in a new browser tab carries the search.
    page.fill("#c-search", "Hello")
    page.keyboard.press("Enter")
    expect(page.locator("#conv-count")).to_have_text("1 conversation matching “Hello”")
    expect(page.locator("#conv-tabs [data-tab='resolved']")).to_have_attribute("href", "?tab=resolved&q=Hello")
    assert pages.errors == []


def test_a_search_with_more_matches_than_the_count_cap_says_so_and_still_lists_them_all(
    pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a count cap of 26 (1,000 in production) and 28 conversations mentioning parking
    monkeypatch.setattr(ConversationPagination, "COUNT_CAP", 26)
    account = PlatformAccountFactory(label="queens")
    account_grant(user=UserFactory(username="bob-agent", role="agent"), account=account)
    for n in range(28):
        MessageFactory(conversation=ConversationFactory(account=account, renter_name=f"R{n}"), body="Parking?")
    MessageFactory(conversation=ConversationFactory(account=account, renter_name="Quiet"), body="Hello")
    page = pages.login("bob-agent")
    page.click("nav >> text=Conversations")
    # The tabs work once the list has loaded (a person sees the first tab's count first).
    expect(page.locator("#conv-count")).to_have_text("0 conversations")
    page.click("#conv-tabs [data-tab='all']")
    expect(page.locator("#conv-tabs [data-tab='all']")).to_have_attribute("aria-current", "page")
    expect(page.locator("#conv-count")).to_have_text("26+ conversations")

    # when: Bob searches a word most of them contain
    page.fill("#c-search", "parking")
    page.keyboard.press("Enter")

    # then: the count says "26+", the first 25 are listed, and Show more brings the rest
    expect(page.locator("#conv-count")).to_have_text("26+ conversations matching “parking”")
    expect(page.locator("#conv-list .q-item")).to_have_count(25)
    page.click("#conv-more")
    expect(page.locator("#conv-list .q-item")).to_have_count(28)
    expect(page.locator("#conv-more")).to_be_hidden()
    assert "Quiet" not in _names(page)
    # and under the cap the count is exact again
    page.fill("#c-search", "hello")
    page.keyboard.press("Enter")
    expect(page.locator("#conv-count")).to_have_text("1 conversation matching “hello”")
    assert pages.errors == []
