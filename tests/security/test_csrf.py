"""CSRF is enforced on every session-authenticated write; token-authenticated scripts need none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import routes
from tests.routes import World
from tests.security.conftest import session_client

pytestmark = pytest.mark.django_db

#: Every API write of the route table, with the body it sends.
WRITES = [(r.method, r.path, r.body) for r in routes.WRITES]


def _call(client: Any, method: str, url: str, body: Any, **headers: str) -> Any:
    kwargs: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": "csrf-1", **headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _b in WRITES])
def test_session_write_without_csrf_token_is_refused(world: World, method: str, path: str, body: Any) -> None:
    client = session_client(world.users["admin"], enforce_csrf=True)
    response = _call(client, method, path.format(**world.ids("own")), body)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _b in WRITES])
def test_session_write_with_a_wrong_csrf_token_is_refused(world: World, method: str, path: str, body: Any) -> None:
    client = session_client(world.users["admin"], enforce_csrf=True)
    client.get("/review/")  # Sets the real csrftoken cookie.
    response = _call(client, method, path.format(**world.ids("own")), body, HTTP_X_CSRFTOKEN="x" * 32)
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _b in WRITES])
def test_session_write_with_the_csrf_token_passes_csrf(world: World, method: str, path: str, body: Any) -> None:
    client = session_client(world.users["admin"], enforce_csrf=True)
    client.get("/review/")
    token = client.cookies["csrftoken"].value
    response = _call(client, method, path.format(**world.ids("own")), body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code != 403, response.content[:300]
    assert response.status_code < 500


def test_token_auth_scripts_need_no_csrf(world: World) -> None:
    token = Token.objects.create(user=world.users["admin"])
    client = APIClient(enforce_csrf_checks=True)
    response = client.patch(
        "/api/v1/settings/", {"canary_share_percent": 0}, format="json", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200


def test_login_form_needs_csrf(world: World) -> None:
    client = session_client(None, enforce_csrf=True)
    response = client.post("/accounts/login/", {"username": "sec-admin", "password": "correct-horse-battery"})
    assert response.status_code == 403
    admin_login = client.post("/admin/login/", {"username": "sec-admin", "password": "correct-horse-battery"})
    assert admin_login.status_code == 403


def test_session_cookie_is_httponly_and_csrf_cookie_samesite(world: World) -> None:
    client = session_client(None)
    response = client.post("/accounts/login/", {"username": "sec-admin", "password": "correct-horse-battery"})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"] in ("Lax", "Strict")
