"""The review desk at phone width (390 x 844, an iPhone 14): queue, conversation and editor usable.

Usable means: nothing wider than the screen (no sideways scrolling of the page), the first
queue item on the first screen, and every control the job needs reachable and tappable.
``make screenshots`` keeps the pictures in docs/screenshots/ (a plain run keeps them under var/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory, UnitFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


def _fits(page: Page) -> None:
    """Nothing on the page is wider than the screen."""
    wide = page.evaluate(
        """() => {
            const w = document.documentElement.clientWidth;
            const out = [];
            for (const n of document.querySelectorAll('body *')) {
                if (!n.getClientRects().length || n.closest('.tabs, table.grid, .nav')) continue;
                const r = n.getBoundingClientRect();
                if (r.right > w + 1) out.push((n.id || n.className || n.tagName) + ' ' + Math.round(r.right));
            }
            return [document.documentElement.scrollWidth, w, out.slice(0, 5)];
        }"""
    )
    scroll_width, width, offenders = wide
    assert scroll_width <= width, f"page is {scroll_width}px wide on a {width}px screen: {offenders}"
    assert offenders == [], offenders


def _tappable(page: Page, selector: str) -> None:
    node = page.locator(selector)
    expect(node).to_be_visible()
    node.scroll_into_view_if_needed()
    box = node.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE[0] + 1
    assert box["height"] >= 30, f"{selector} is {box['height']}px tall: too small to tap"


def test_queue_conversation_and_editor_work_at_phone_width(pages: Any, shot: Callable[..., None]) -> None:
    # given: a busy morning: drafts and escalations with long names and texts
    account = PlatformAccountFactory(label="brooklyn-east-flatbush")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    unit = UnitFactory(name="Garden apartment 3R", listing__title="Prospect Park South brownstone")
    first = None
    for n in range(5):
        conv = ConversationFactory(
            account=account, unit=unit, renter_name=f"Alexandra Montgomery-Whitfield {n}", renter_handle=f"alex-{n}"
        )
        MessageFactory(conversation=conv, body="Hello! I would love to see the apartment this weekend. " * 3)
        draft = OutboundFactory(conversation=conv, body="Hi Alexandra, thanks for writing. Saturday at 11 works.")
        first = first or draft
    assert first is not None

    # when: Bob opens the queue on his phone
    page = pages.login("bob-agent", viewport=PHONE)

    # then: the first item is on the first screen, nothing runs off the side, approve is tappable
    item = page.locator("#queue-list .q-item").first
    expect(item).to_be_visible()
    box = item.bounding_box()
    assert box is not None
    assert box["y"] + 40 < PHONE[1], "the counters and filters push the queue off the first screen"
    _fits(page)
    _tappable(page, "#queue-list .q-item:first-child .q-approve")
    shot(page, "queue-phone")

    # when: he opens the first conversation and edits the draft
    item.locator(".q-title a").click()
    expect(page.locator("#draft-text")).to_have_value(first.body)
    _fits(page)
    shot(page, "conversation-phone")
    page.locator("#draft-text").fill("Hi Alexandra, Saturday at 11 works. See you at the door!")
    expect(page.locator("#draft-flags")).to_have_text("Guardrails: clear")
    for control in ("#draft-save", "#draft-approve", "#draft-reject", "#reply-send", "#c-resolve", "#c-takeover"):
        _tappable(page, control)
    _fits(page)
    page.locator("#draft-text").scroll_into_view_if_needed()
    shot(page, "editor-phone", full_page=False)

    # and: the list of conversations fits too
    page.goto(pages.base_url + "/review/conversations/?tab=all")
    expect(page.locator("#conv-list .q-item")).to_have_count(5)
    _fits(page)
    shot(page, "conversations-phone")
    assert pages.errors == []
