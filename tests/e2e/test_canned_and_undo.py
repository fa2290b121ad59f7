"""Canned replies managed by an admin and inserted with "/" by an agent; undo of an approval on the
conversation page. Real Chromium; the undo window passes on Playwright's clock, never by waiting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from inbox.models import CannedReply, OutboundMessage
from leasebot.core.models import AuditLog
from platforms.models import Platform
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNDO_MS = 5_000


def test_admin_adds_canned_replies_and_agent_inserts_one_with_slash(pages: Any, shot: Callable[..., None]) -> None:
    # given: two accounts on two platforms, an agent granted the first
    account = PlatformAccountFactory(label="brooklyn")
    other = PlatformAccountFactory(label="queens", platform=Platform.objects.get(slug="roomies"))
    UserFactory(username="ada-admin", role="admin")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    conversation = ConversationFactory(account=account, renter_name="Jo")
    MessageFactory(conversation=conversation, body="Where do I park?")
    admin = pages.login("ada-admin")

    # when: the admin adds one reply for the first account's platform and one for the other account
    admin.goto(pages.base_url + "/review/settings/")
    for title, scope, body in (
        ("Parking", f"Platform {account.platform.slug}", "Street parking is free after 6pm."),
        ("Queens only", f"Account {other.platform.slug} / queens", "Our Queens office opens at 9."),
    ):
        admin.fill("#canned-title", title)
        admin.select_option("#canned-scope", label=scope)
        admin.fill("#canned-body", body)
        admin.click("#canned-save")
        expect(admin.locator(".toast").filter(has_text=f"Added “{title}”: saved and audited")).to_be_visible()
    expect(admin.locator("#canned-rows tr")).to_have_count(2)
    shot(admin, "settings-canned")

    # and: a text the guardrails refuse is refused with the reason shown
    admin.fill("#canned-title", "Bad")
    admin.fill("#canned-body", "Please wire the deposit via Western Union today.")
    admin.click("#canned-save")
    expect(admin.locator(".toast.error").filter(has_text="Canned reply not saved")).to_contain_text("guardrail")
    assert CannedReply.objects.filter(platform=account.platform, title="Parking").exists()
    assert AuditLog.objects.filter(action="canned_reply.create").count() == 2

    # when: the agent types "/" at the start of the reply, filters, and presses Enter
    page = pages.login("bob-agent")
    page.goto(pages.base_url + f"/review/conversations/{conversation.pk}/")
    reply = page.locator("#reply-text")
    reply.click()
    page.keyboard.type("Hi Jo!\n/")
    expect(page.locator("#canned-picker")).to_be_visible()
    # only what this conversation's account offers
    expect(page.locator("#canned-list li[role=option]")).to_have_count(1)
    page.keyboard.type("park")
    expect(page.locator("#canned-list li[aria-selected=true]")).to_contain_text("Parking")
    page.keyboard.press("Enter")

    # then: the text goes in where the slash was, and the editor keeps the focus
    expect(reply).to_have_value("Hi Jo!\nStreet parking is free after 6pm.")
    expect(page.locator("#canned-picker")).to_be_hidden()
    expect(reply).to_be_focused()
    page.locator("#reply-text").press("End")
    page.keyboard.type("\n/")
    expect(page.locator("#canned-list li[role=option]")).to_have_count(1)
    shot(page, "conversation-canned-picker")
    page.keyboard.press("Escape")
    expect(reply).to_have_value("Hi Jo!\nStreet parking is free after 6pm.\n/")
    expect(page.locator("#reply-flags")).to_have_text("Guardrails: clear")
    assert pages.errors == []


def test_approval_on_the_conversation_page_can_be_undone_then_goes_out(pages: Any) -> None:
    account = PlatformAccountFactory(label="brooklyn")
    bob = UserFactory(username="bob-agent", role="agent")
    account_grant(user=bob, account=account)
    conversation = ConversationFactory(account=account, renter_name="Kim")
    MessageFactory(conversation=conversation, body="Is it free?")
    draft = OutboundFactory(conversation=conversation, body="Yes, it is free from June.")
    page = pages.login("bob-agent")
    page.clock.install()
    page.goto(pages.base_url + f"/review/conversations/{conversation.pk}/")
    expect(page.locator("#draft-text")).to_have_value(draft.body)

    # when: Bob approves, then undoes within the window
    page.keyboard.press("a")
    expect(page.locator(".toast.undo")).to_contain_text("Approving the reply to Kim in 5 s")
    expect(page.locator("#draft-approve")).to_be_disabled()
    page.locator(".toast.undo button", has_text="Undo").click()

    # then: nothing was approved, even after the window would have ended
    expect(page.locator(".toast").filter(has_text="Undone: the reply to Kim was not approved")).to_be_visible()
    expect(page.locator("#draft-approve")).to_be_enabled()
    page.clock.fast_forward(UNDO_MS * 2)
    draft.refresh_from_db()
    assert draft.status == "draft"

    # when: he approves again and lets the window pass
    page.click("#draft-approve")
    page.clock.fast_forward(UNDO_MS)

    # then: it is approved once, with the text on show
    expect(page.locator(".toast").filter(has_text="Approved the reply to Kim")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == "queued"
    assert OutboundMessage.objects.filter(conversation=conversation, approved_by=bob).count() == 1
    assert pages.errors == []
