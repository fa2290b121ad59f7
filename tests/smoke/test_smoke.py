"""Smoke: every page and API route the review UI uses, for each role: status codes and content types.

Run with ``make smoke`` (``pytest tests/smoke``). Session authentication, as the UI uses it.
"""

from __future__ import annotations

from typing import Any

import pytest

from platforms.roles import account_grant
from tests.dispatch.factories import DeadLetterFactory
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("admin", "agent", "ops")
HTML = "text/html"
JSON = "application/json"


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    users = {role: UserFactory(username=f"smoke-{role}", role=role) for role in ROLES}
    account = PlatformAccountFactory(label="smoke")
    account_grant(user=users["agent"], account=account)
    conversation = ConversationFactory(account=account)
    MessageFactory(conversation=conversation)
    draft = OutboundFactory(conversation=conversation)
    letter = DeadLetterFactory(account=account)
    return {"users": users, "account": account, "conversation": conversation, "draft": draft, "letter": letter}


# (path template, {role: expected status}, content type)
PAGES = [
    ("/review/", {"admin": 200, "agent": 200, "ops": 302}, HTML),
    ("/review/conversations/{conversation}/", {"admin": 200, "agent": 200, "ops": 403}, HTML),
    ("/review/settings/", {"admin": 200, "agent": 403, "ops": 403}, HTML),
    ("/review/health/", {"admin": 200, "agent": 200, "ops": 200}, HTML),
    ("/api/docs/", {"admin": 200, "agent": 200, "ops": 200}, HTML),
]
API_GETS = [
    ("/api/v1/me/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/review/counts/", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/review/queue/", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/review/queue/?platform=spareroom&account={account}", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/platform-accounts/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/platforms/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/settings/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/health/platforms/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/conversations/", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/conversations/{conversation}/", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/conversations/{conversation}/agents/", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/conversations/{conversation}/notes/", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/canned-replies/?account={account}", {"admin": 200, "agent": 200, "ops": 403}),
    ("/api/v1/outbound/?conversation={conversation}", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/outbound/{draft}/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/v1/dead-letters/", {"admin": 200, "agent": 200, "ops": 200}),
    ("/api/schema/", {"admin": 200, "agent": 200, "ops": 200}),
]
# Writes the UI makes, with a body that is valid but changes nothing important.
API_WRITES = [
    ("post", "/api/v1/guardrails/check/", {"text": "Hello"}, {"admin": 200, "agent": 200, "ops": 403}),
    ("patch", "/api/v1/settings/", {"rollout_stage": "shadow"}, {"admin": 200, "agent": 403, "ops": 403}),
    ("patch", "/api/v1/platform-accounts/{account}/", {"is_canary": False}, {"admin": 200, "agent": 403, "ops": 403}),
    ("patch", "/api/v1/outbound/{draft}/", {"body": "Hello again."}, {"admin": 200, "agent": 200, "ops": 403}),
    ("post", "/api/v1/conversations/{conversation}/assign/", {"agent": None}, {"admin": 200, "agent": 200, "ops": 403}),
]


def _fill(path: str, world: dict[str, Any]) -> str:
    return path.format(conversation=world["conversation"].pk, account=world["account"].pk, draft=world["draft"].pk)


@pytest.mark.parametrize("role", ROLES)
def test_pages(client: Any, world: dict[str, Any], role: str) -> None:
    client.force_login(world["users"][role])
    for path, expected, kind in PAGES:
        response = client.get(_fill(path, world))
        assert response.status_code == expected[role], (role, path)
        if response.status_code == 200:
            assert response["Content-Type"].startswith(kind), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_api_reads(client: Any, world: dict[str, Any], role: str) -> None:
    client.force_login(world["users"][role])
    for path, expected in API_GETS:
        response = client.get(_fill(path, world), HTTP_ACCEPT="application/json")
        assert response.status_code == expected[role], (role, path, response.content[:200])
        if "schema" not in path:
            assert response["Content-Type"].startswith(JSON), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_api_writes_with_csrf(world: dict[str, Any], role: str) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][role])
    token = client.get("/review/health/").cookies["csrftoken"].value
    for method, path, body, expected in API_WRITES:
        without = getattr(client, method)(_fill(path, world), body, content_type=JSON)
        assert without.status_code == 403, (role, path, "no CSRF token must be refused")
        response = getattr(client, method)(_fill(path, world), body, content_type=JSON, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == expected[role], (role, path, response.content[:200])
        assert response["Content-Type"].startswith(JSON)


def test_anonymous_is_sent_to_login(client: Any, world: dict[str, Any]) -> None:
    for path, _expected, _kind in PAGES[:4]:
        response = client.get(_fill(path, world))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert b"Sign in" in login.content
    assert client.get("/api/v1/conversations/").status_code in {401, 403}


def test_static_assets_exist() -> None:
    from django.contrib.staticfiles import finders

    for name in ("review.css", "app.js", "queue.js", "conversation.js", "settings.js", "health.js"):
        assert finders.find(f"review/{name}"), name
