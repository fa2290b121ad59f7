"""Smoke: every page and API route the review UI uses, for each role: status codes and content types.

Run with ``make smoke`` (``pytest tests/smoke``). Session authentication, as the UI uses it.
The routes the UI calls (``Route.ui``) and what each role gets are tests/routes.py's table,
which the security suite's authorisation matrix checks in full.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.routes import API, DOCS_PAGE, JSON, PAGES, ROLES, SCHEMA, WRITES, Route, World, build_world

pytestmark = pytest.mark.django_db


def _ui_calls(routes: list[Route]) -> list[tuple[Route, str]]:
    """Each route with each query string the review UI calls it with."""
    return [(route, route.path + query) for route in routes for query in route.ui]


UI_PAGES = _ui_calls([*PAGES, DOCS_PAGE])
UI_READS = _ui_calls([*(r for r in API if r.method == "get"), SCHEMA])
# Writes the UI makes, with a body that is valid but changes nothing important.
UI_WRITES = _ui_calls(WRITES)


@pytest.fixture
def world(db: Any) -> World:
    return build_world("smoke")


@pytest.mark.parametrize("role", ROLES)
def test_pages(client: Any, world: World, role: str) -> None:
    client.force_login(world.users[role])
    for route, path in UI_PAGES:
        response = client.get(world.fill(path))
        assert response.status_code == route.status_for(role), (role, path)
        if response.status_code == 200:
            assert response["Content-Type"].startswith(route.content_type), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_api_reads(client: Any, world: World, role: str) -> None:
    client.force_login(world.users[role])
    for route, path in UI_READS:
        response = client.get(world.fill(path), HTTP_ACCEPT="application/json")
        assert response.status_code == route.status_for(role), (role, path, response.content[:200])
        if route.content_type is not None:
            assert response["Content-Type"].startswith(route.content_type), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_api_writes_with_csrf(world: World, role: str) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[role])
    token = client.get("/review/health/").cookies["csrftoken"].value
    for route, path in UI_WRITES:
        without = getattr(client, route.method)(world.fill(path), route.body, content_type=JSON)
        assert without.status_code == 403, (role, path, "no CSRF token must be refused")
        response = getattr(client, route.method)(
            world.fill(path), route.body, content_type=JSON, HTTP_X_CSRFTOKEN=token
        )
        assert response.status_code == route.status_for(role), (role, path, response.content[:200])
        assert response["Content-Type"].startswith(JSON)


def test_anonymous_is_sent_to_login(client: Any, world: World) -> None:
    for route in PAGES:
        response = client.get(world.fill(route.path))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert b"Sign in" in login.content
    assert client.get("/api/v1/conversations/").status_code in {401, 403}


def test_static_assets_exist() -> None:
    from django.contrib.staticfiles import finders

    for name in ("review.css", "app.js", "queue.js", "conversation.js", "conversations.js", "settings.js", "health.js"):
        assert finders.find(f"review/{name}"), name
