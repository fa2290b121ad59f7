"""Actions on the right item, and errors people can read: the review UI in real Chromium.

Two people work at once here (two browser contexts). The queue page runs on Playwright's
paused clock, so its 30 s refresh and the approval's undo window happen exactly when the
test says (``clock.run_for``), never by waiting on the wall clock.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from inbox.models import OutboundMessage
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFRESH_MS = 30_000
UNDO_MS = 5_000


def _rgb(css: str) -> tuple[float, float, float]:
    numbers = [float(x) for x in re.findall(r"[\d.]+", css)[:3]]
    return numbers[0], numbers[1], numbers[2]


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def assert_readable(node: Locator, *, text: str) -> None:
    """The node is shown, holds ``text``, and its text contrasts with its own background (WCAG AA, 4.5:1)."""
    expect(node).to_be_visible()
    expect(node).to_contain_text(text)
    style = node.evaluate("n => { const s = getComputedStyle(n); return [s.color, s.backgroundColor]; }")
    color, background = style
    assert "rgba(0, 0, 0, 0)" not in background, f"no background of its own: {background}"
    light, dark = sorted((_luminance(_rgb(color)), _luminance(_rgb(background))), reverse=True)
    ratio = (light + 0.05) / (dark + 0.05)
    assert ratio >= 4.5, f"text {color} on {background}: contrast {ratio:.2f}"


def _team() -> tuple[Any, Any, Any]:
    account = PlatformAccountFactory(label="brooklyn")
    bob, carol = UserFactory(username="bob-agent", role="agent"), UserFactory(username="carol-agent", role="agent")
    for agent in (bob, carol):
        account_grant(user=agent, account=account)
    return account, bob, carol


def _draft(account: Any, renter: str, body: str) -> OutboundMessage:
    conversation = ConversationFactory(account=account, renter_name=renter)
    MessageFactory(conversation=conversation, body=f"Hi, {renter} here: is it free?")
    draft: OutboundMessage = OutboundFactory(conversation=conversation, body=body)
    return draft


def _queue_on_paused_clock(page: Page, base_url: str) -> None:
    start = timezone.now()
    page.clock.install(time=start)
    page.clock.pause_at(start + timedelta(seconds=1))
    page.goto(base_url + "/review/")


def _status(row: OutboundMessage) -> str:
    row.refresh_from_db()
    return row.status


def _reject_in_browser(page: Page, base_url: str, draft: OutboundMessage, reason: str) -> None:
    page.goto(base_url + f"/review/conversations/{draft.conversation_id}/")
    expect(page.locator("#draft-text")).to_have_value(draft.body)
    page.fill("#draft-reject-reason", reason)
    page.click("#draft-reject")
    expect(page.locator(".toast").filter(has_text="Rejected the draft for")).to_be_visible()


def test_errors_are_readable_and_name_what_happened(pages: Any) -> None:
    # given: a draft for Jamie, opened by the agent
    account, _bob, _carol = _team()
    draft = _draft(account, "Jamie Renter", "Hello Jamie, yes it is free.")
    page = pages.login("bob-agent")
    page.clock.install()
    page.goto(pages.base_url + f"/review/conversations/{draft.conversation_id}/")
    expect(page.locator("#draft-text")).to_have_value(draft.body)

    # when: rejecting without a reason
    page.click("#draft-reject")

    # then: a readable error naming the renter and what is missing; nothing changed
    toast = page.locator(".toast.error").filter(has_text="Not rejected")
    assert_readable(toast, text="Not rejected (Jamie Renter): write why you reject the draft")
    assert _status(draft) == "draft"

    # when: the network fails on approve
    page.route("**/api/v1/outbound/*/approve/", lambda route: route.abort())
    page.click("#draft-approve")
    page.clock.fast_forward(UNDO_MS)

    # then: a readable network error, and the draft still waits
    toast = page.locator(".toast.error").filter(has_text="Network error")
    assert_readable(toast, text="Not approved (Jamie Renter): Network error: the server did not answer")
    assert _status(draft) == "draft"
    page.unroute("**/api/v1/outbound/*/approve/")

    # when: the reason is only spaces (no reason either)
    page.fill("#draft-reject-reason", "   ")
    page.click("#draft-reject")
    assert_readable(page.locator(".toast.error").last, text="write why you reject the draft")
    assert pages.errors == []


def test_conflict_reloads_the_draft_says_who_acted_and_leaves_no_live_buttons(pages: Any) -> None:
    # given: Bob and Carol both have Jamie's draft open
    account, _bob, _carol = _team()
    draft = _draft(account, "Jamie Renter", "Hello Jamie, yes it is free.")
    bob = pages.login("bob-agent")
    bob.clock.install()
    bob.goto(pages.base_url + f"/review/conversations/{draft.conversation_id}/")
    expect(bob.locator("#draft-approve")).to_be_visible()
    carol = pages.login("carol-agent")

    # when: Carol rejects it, then Bob (whose page still shows it) approves it
    _reject_in_browser(carol, pages.base_url, draft, "wrong unit")
    bob.click("#draft-approve")
    bob.clock.fast_forward(UNDO_MS)

    # then: Bob reads what happened, the draft is reloaded as cancelled with no buttons, nothing is queued
    toast = bob.locator(".toast.error").filter(has_text="someone else acted first")
    assert_readable(toast, text="Not approved (Jamie Renter): someone else acted first — it was cancelled: wrong unit")
    assert_readable(bob.locator("#c-notice"), text="it was cancelled: wrong unit")
    expect(bob.locator("#draft-box")).to_be_hidden()
    expect(bob.locator("#draft-approve")).to_be_hidden()
    expect(bob.locator(f".ob[data-id='{draft.pk}'] .status")).to_have_attribute("data-status", "cancelled")
    assert _status(draft) == "cancelled"
    assert not OutboundMessage.objects.filter(status="queued").exists()
    assert pages.errors == []


def test_two_agents_at_once_approve_hits_the_selected_draft_only(pages: Any) -> None:
    # given: four drafts, oldest first; Bob selects Ben's (second), Carol works beside him
    account, _bob, _carol = _team()
    ann = _draft(account, "Ann", "Hi Ann.")
    ben = _draft(account, "Ben", "Hi Ben.")
    cat = _draft(account, "Cat", "Hi Cat.")
    dan = _draft(account, "Dan", "Hi Dan.")
    bob = pages.login("bob-agent")
    _queue_on_paused_clock(bob, pages.base_url)
    expect(bob.locator(".q-item")).to_have_count(4)
    expect(bob.locator(".q-item.selected")).to_have_attribute("data-key", f"outbound-{ann.pk}")
    bob.keyboard.press("j")
    expect(bob.locator(".q-item.selected")).to_have_attribute("data-key", f"outbound-{ben.pk}")
    carol = pages.login("carol-agent")

    # when: Carol rejects Ann's draft (above Ben's), Bob's queue refreshes, Bob presses a
    _reject_in_browser(carol, pages.base_url, ann, "duplicate lead")
    bob.clock.run_for(REFRESH_MS)
    expect(bob.locator(".q-item")).to_have_count(3)
    expect(bob.locator(".q-item.selected")).to_have_attribute("data-key", f"outbound-{ben.pk}")
    bob.keyboard.press("a")

    # then: an undo window names Ben; nothing is approved until it ends, then Ben's and only Ben's
    expect(bob.locator(".toast.undo")).to_contain_text("Approving Ben's draft in 5 s")
    assert _status(ben) == "draft"
    bob.clock.run_for(UNDO_MS)
    expect(bob.locator(".toast").filter(has_text="Approved Ben's draft")).to_be_visible()
    assert [_status(r) for r in (ann, ben, cat, dan)] == ["cancelled", "queued", "draft", "draft"]

    # when: Bob's selection has moved on to Cat's; Carol approves Cat's from her own queue first
    expect(bob.locator(".q-item.selected")).to_have_attribute("data-key", f"outbound-{cat.pk}")
    _queue_on_paused_clock(carol, pages.base_url)
    expect(carol.locator(".q-item")).to_have_count(2)
    carol.locator(f".q-item[data-key='outbound-{cat.pk}'] .q-approve").click()
    carol.clock.run_for(UNDO_MS)
    expect(carol.locator(".toast").filter(has_text="Approved Cat's draft")).to_be_visible()

    # and Bob, whose list still shows Cat's, presses a
    bob.keyboard.press("a")
    bob.clock.run_for(UNDO_MS)

    # then: a readable refusal naming Cat and Carol; Dan's draft is untouched
    toast = bob.locator(".toast.error").filter(has_text="Cat's draft")
    assert_readable(toast, text="Not approved: Cat's draft: someone else acted first")
    expect(toast).to_contain_text("approved by carol-agent")
    assert [_status(r) for r in (ben, cat, dan)] == ["queued", "queued", "draft"]

    # when: Bob selects Dan's, Carol rejects it, Bob's queue refreshes and Bob presses a
    bob.clock.run_for(REFRESH_MS)
    expect(bob.locator(".q-item")).to_have_count(1)
    bob.locator(f".q-item[data-key='outbound-{dan.pk}']").click()
    _reject_in_browser(carol, pages.base_url, dan, "renter found a place")
    bob.clock.run_for(REFRESH_MS)
    expect(bob.locator(".q-item")).to_have_count(0)
    assert_readable(bob.locator("#queue-notice"), text="The item you had selected (Dan's draft) has left the queue")
    bob.keyboard.press("a")

    # then: nothing is approved, and Bob is told why
    toast = bob.locator(".toast.error").filter(has_text="no longer in the queue")
    assert_readable(toast, text="Not approved: the item you had selected (Dan's draft) is no longer in the queue")
    assert _status(dan) == "cancelled"
    assert pages.errors == []


def test_undo_in_the_window_approves_nothing(pages: Any) -> None:
    # given
    account, _bob, _carol = _team()
    draft = _draft(account, "Jamie Renter", "Hello Jamie.")
    bob = pages.login("bob-agent")
    _queue_on_paused_clock(bob, pages.base_url)
    expect(bob.locator(".q-item")).to_have_count(1)

    # when: Bob clicks Approve, then Undo within the window, and the window passes
    bob.locator(".q-approve").click()
    expect(bob.locator(".q-approve")).to_have_text("Approving…")
    bob.locator(".toast.undo button", has_text="Undo").click()
    expect(bob.locator(".toast").filter(has_text="Undone: Jamie Renter's draft was not approved")).to_be_visible()
    bob.clock.run_for(UNDO_MS * 2)

    # then: nothing went to the server, and the item can be approved again
    expect(bob.locator(".q-approve")).to_have_text("Approve")
    assert _status(draft) == "draft"


def test_j_with_unsaved_draft_edits_asks_before_leaving(pages: Any) -> None:
    # given: two drafts in the queue; Bob opens the first and edits its text
    account, _bob, _carol = _team()
    first = _draft(account, "Ann", "Hi Ann.")
    second = _draft(account, "Ben", "Hi Ben.")
    bob = pages.login("bob-agent")
    expect(bob.locator(".q-item")).to_have_count(2)
    bob.keyboard.press("Enter")
    bob.wait_for_url(re.compile(rf"/review/conversations/{first.conversation_id}/$"))
    bob.locator("#draft-text").fill("Hi Ann, Tuesday works.")
    bob.locator("#c-title").click()  # Out of the field, so the key is a shortcut.

    # when: j, and Bob keeps his edit
    bob.keyboard.press("j")
    expect(bob.locator("#modal")).to_be_visible()
    expect(bob.locator("#modal-text")).to_contain_text("You have not saved the draft edit for Ann")
    bob.click("#modal-cancel")

    # then: still here, the edit kept
    expect(bob.locator("#draft-text")).to_have_value("Hi Ann, Tuesday works.")
    assert bob.url.endswith(f"/review/conversations/{first.conversation_id}/")

    # when: j again, and Bob lets it go
    bob.keyboard.press("j")
    bob.click("#modal-ok")

    # then: the next conversation opens; the unsaved edit was never stored
    bob.wait_for_url(re.compile(rf"/review/conversations/{second.conversation_id}/$"))
    expect(bob.locator("#draft-text")).to_have_value("Hi Ben.")
    assert OutboundMessage.objects.get(pk=first.pk).body == "Hi Ann."
    assert pages.errors == []
