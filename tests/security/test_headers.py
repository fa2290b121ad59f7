"""Issue 18: renter data is never cached, and a Content-Security-Policy holds on every page.

Before: API answers carried renters' names and messages without ``Cache-Control: no-store``,
no page sent a CSP, and the API docs loaded Swagger UI from a CDN. The browser test proves
the policy is strict (no inline script or style anywhere) and that the review UI, the
reports page, the admin and the API docs still work under it: no violation is reported.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser

from tests.security.test_stored_xss import PASSWORD
from tests.support import settle_page

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.django_db
def test_api_answers_with_renter_data_are_no_store(agent_client: Any, conversation: Any, draft: Any) -> None:
    for url in (
        "/api/v1/conversations/",
        f"/api/v1/conversations/{conversation.pk}/",
        "/api/v1/outbound/",
        "/api/v1/review/queue/",
        "/api/v1/conversations/999999/",  # Errors too: nothing under /api/ is cached.
    ):
        response = agent_client.get(url)
        assert response["Cache-Control"] == "no-store", url


@pytest.mark.django_db
def test_review_pages_are_no_store_and_carry_a_strict_csp(agent_user: Any) -> None:
    client = Client()
    client.force_login(agent_user)
    response = client.get("/review/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_api_docs_load_swagger_ui_from_this_site(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "<script>" not in page  # The start-up script is a file (the split view), not inline.


WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
"""


@pytest.mark.browser
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_every_page_works_under_the_csp(browser: Browser, live_server: Any, transactional_db: Any) -> None:
    from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
    from tests.platforms.factories import PlatformAccountFactory, UserFactory

    UserFactory(username="csp-admin", role="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    account = PlatformAccountFactory(label="csp")
    conversation = ConversationFactory(account=account, renter_name="Jamie Renter")
    MessageFactory(conversation=conversation, body="Hi, is the room still available?")
    OutboundFactory(conversation=conversation, body="Yes, from June 1.", status="pending_review")

    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else foreign.append(r.url))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "csp-admin")
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")

    violations: dict[str, list[str]] = {}
    for path in (
        "/review/",
        f"/review/conversations/{conversation.pk}/",
        "/review/health/",
        "/review/settings/",
        "/reports/",
        "/admin/",
        f"/admin/inbox/conversation/{conversation.pk}/change/",
        "/admin/inbox/replytemplate/add/",
        "/api/docs/",
    ):
        response = page.goto(live_server.url + path)
        assert response is not None, path
        assert response.status == 200, path
        settle_page(page)
        if path == "/api/docs/":
            page.wait_for_selector(".swagger-ui .info .title")
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    # The review UI's scripts did their work: the queue shows the waiting draft.
    page.goto(live_server.url + "/review/")
    page.wait_for_selector("text=Jamie Renter")
    context.close()
    assert violations == {}
    assert foreign == []
