"""Stored XSS: a renter's script payloads never execute in the review UI or the Django admin (real Chromium).

Renter-controlled text (name, message bodies, listing reference) and text derived from it
(drafts, notes, error messages) is stored with script payloads; an agent and an admin then
open every page that shows it. Each payload, if it ran, would push to ``window.__xss`` or
open a dialog; both are watched from before the first script of the page runs.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from inbox.models import ConversationNote
from leasebot.core.services import audit_record
from platforms.roles import account_grant
from tests.dispatch.factories import DeadLetterFactory
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory
from tests.support import settle_page

# Playwright's sync API runs an event loop in this thread for the whole module; Django's
# async-unsafe guard would refuse the test's own database calls (as in tests/e2e/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
PAYLOADS = (
    "<script>window.__xss.push('script')</script>",
    "<img src=x onerror=\"window.__xss.push('img')\">",
    "<svg onload=\"window.__xss.push('svg')\"></svg>",
    "\"><script>window.__xss.push('attr-break')</script>",
    "'><img src=x onerror=alert('quote')>",
    "</textarea><script>window.__xss.push('textarea')</script>",
    "<iframe srcdoc=\"<script>parent.__xss.push('iframe')</script>\"></iframe>",
    "{{7*7}}<a href=\"javascript:window.__xss.push('link')\">click</a>",
)
EVIL = " ".join(PAYLOADS)
WATCH = """
window.__xss = [];
for (const name of ['alert', 'confirm', 'prompt']) {
  window[name] = (...args) => { window.__xss.push(name + ':' + args.join(',')); };
}
"""


@pytest.fixture
def evil_world(transactional_db: Any) -> dict[str, Any]:
    admin = UserFactory(username="xss-admin", role="admin")
    agent = UserFactory(username="xss-agent", role="agent")
    account = PlatformAccountFactory(label="xss-" + PAYLOADS[0][:40])
    account_grant(user=agent, account=account)
    conversation = ConversationFactory(
        account=account,
        renter_name="Mallory " + PAYLOADS[1],
        listing_ref_seen="javascript:window.__xss.push('listing')",
        thread_ref="t-" + PAYLOADS[2][:60],
    )
    message = MessageFactory(conversation=conversation, sender_name=PAYLOADS[3], body="Hi! " + EVIL)
    MessageFactory(conversation=conversation, direction="out", sender_name="lease-bot", body="Echo: " + EVIL)
    draft = OutboundFactory(conversation=conversation, body="Draft " + EVIL, status="pending_review")
    draft.hold_reasons = [{"code": "guardrail", "category": "prompt_injection", "detail": PAYLOADS[4]}]
    draft.save(update_fields=["hold_reasons"])
    ConversationNote.objects.create(conversation=conversation, author=agent, body="Note " + EVIL)
    letter = DeadLetterFactory(
        account=account,
        error_message=EVIL[:480],
        payload={"evil": EVIL},
    )
    audit_record(action="xss.test", obj=conversation, reason=EVIL)
    return {
        "admin": admin,
        "agent": agent,
        "conversation": conversation,
        "message": message,
        "draft": draft,
        "letter": letter,
        "account": account,
    }


def _login(browser: Browser, base: str, username: str, *, admin_site: bool = False) -> tuple[Page, list[str]]:
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base + ("/admin/login/" if admin_site else "/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")
    return page, dialogs


def _visit(page: Page, url: str) -> dict[str, Any]:
    response = page.goto(url)
    settle_page(page)  # Every onerror/onload handler of an image or frame has had its chance to run.
    return {
        "status": response.status if response else None,
        "hits": page.evaluate("window.__xss"),
        "js_links": page.evaluate(
            "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
            ".filter(h => h.trim().toLowerCase().startsWith('javascript:'))"
        ),
        "text": page.inner_text("body"),
    }


def test_review_ui_shows_renter_payloads_as_text_and_runs_none(
    browser: Browser, live_server: Any, evil_world: dict[str, Any]
) -> None:
    conversation = evil_world["conversation"]
    page, dialogs = _login(browser, live_server.url, "xss-agent")
    seen: dict[str, dict[str, Any]] = {}
    for path in ("/review/", f"/review/conversations/{conversation.pk}/", "/review/health/"):
        seen[path] = _visit(page, live_server.url + path)
    assert all(v["status"] == 200 for v in seen.values()), {k: v["status"] for k, v in seen.items()}
    assert {k: v["hits"] for k, v in seen.items() if v["hits"]} == {}
    assert {k: v["js_links"] for k, v in seen.items() if v["js_links"]} == {}
    assert dialogs == []
    # The payloads were on screen, as inert text (so the check above saw them).
    conversation_text = seen[f"/review/conversations/{conversation.pk}/"]["text"]
    assert "window.__xss.push('script')" in conversation_text
    assert "Mallory" in conversation_text


def test_admin_shows_renter_payloads_as_text_and_runs_none(
    browser: Browser, live_server: Any, evil_world: dict[str, Any]
) -> None:
    w = evil_world
    page, dialogs = _login(browser, live_server.url, "xss-admin", admin_site=True)
    paths = [
        "/admin/inbox/conversation/",
        f"/admin/inbox/conversation/{w['conversation'].pk}/change/",
        "/admin/inbox/message/",
        f"/admin/inbox/message/{w['message'].pk}/change/",
        "/admin/inbox/outboundmessage/",
        f"/admin/inbox/outboundmessage/{w['draft'].pk}/change/",
        "/admin/dispatch/deadletter/",
        f"/admin/dispatch/deadletter/{w['letter'].pk}/change/",
        "/admin/core/auditlog/",
        "/admin/platforms/platformaccount/",
    ]
    seen = {path: _visit(page, live_server.url + path) for path in paths}
    assert {k: v["status"] for k, v in seen.items() if v["status"] != 200} == {}
    assert {k: v["hits"] for k, v in seen.items() if v["hits"]} == {}
    assert {k: v["js_links"] for k, v in seen.items() if v["js_links"]} == {}
    assert dialogs == []
    assert "window.__xss.push('script')" in seen[f"/admin/inbox/message/{w['message'].pk}/change/"]["text"]


def test_the_watch_would_catch_a_payload_that_runs(browser: Browser) -> None:
    """The control: the same payloads, injected unescaped, are caught."""
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_content(f"<html><body>{EVIL}</body></html>")
    settle_page(page)
    assert len(page.evaluate("window.__xss")) >= 3
    context.close()
