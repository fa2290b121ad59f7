"""Every API route, review page and admin page against anonymous, no-role, agent (own and foreign), ops and admin.

The routes and each column's expected answer are tests/routes.py's table (see its ``OK``,
``FORBIDDEN``, ``HIDDEN``, ``LOGIN`` and ``REDIRECT``); the admin pages are listed from the
admin site itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.routes import API, COLUMNS, LOGIN, OK, PAGES, REDIRECT, World
from tests.security.conftest import session_client

pytestmark = pytest.mark.django_db


def _who(world: World, column: str) -> tuple[Any, str]:
    """Return (user, which side's ids) for a column."""
    return {
        "anon": (None, "own"),
        "norole": (world.users["norole"], "own"),
        "agent_own": (world.users["agent"], "own"),
        "agent_foreign": (world.users["agent"], "foreign"),
        "ops": (world.users["ops"], "own"),
        "admin": (world.users["admin"], "own"),
    }[column]


def _check(status: int, expected: Any, *, api: bool, location: str = "") -> bool:
    if expected == OK:
        return 200 <= status < 300 or status in (400, 409)
    if expected == LOGIN:
        if api:
            return status in (401, 403)
        return status == 302 and "login" in location
    if expected == REDIRECT:
        return status == 302
    return status == expected


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), [(r.method, r.path, r.body, r.access) for r in API], ids=[r.id for r in API]
)
def test_api_route_answers_each_role_as_designed(
    world: World, column: str, method: str, path: str, body: Any, expected: dict[str, Any]
) -> None:
    user, side = _who(world, column)
    url = path.format(**world.ids(side))
    client = session_client(user)
    kwargs: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": "matrix-1"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code < 500
    assert _check(response.status_code, expected[column], api=True), (
        column,
        method,
        url,
        response.status_code,
        response.content[:300],
    )


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize(("path", "expected"), [(r.path, r.access) for r in PAGES], ids=[r.path for r in PAGES])
def test_review_page_answers_each_role_as_designed(
    world: World, column: str, path: str, expected: dict[str, Any]
) -> None:
    user, side = _who(world, column)
    response = session_client(user).get(path.format(**world.ids(side)))
    assert _check(response.status_code, expected[column], api=False, location=response.get("Location", "")), (
        column,
        path,
        response.status_code,
    )


def _api_routes() -> set[str]:
    """Every route under /api/v1/ as a regex source, from the URL resolver itself."""
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.add(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return {r for r in found if r.startswith("api/v1/") and "format" not in r}


def test_the_matrix_covers_every_api_route() -> None:
    """A new route without a row in the matrix fails here: authorisation is decided, not inherited."""
    covered = {re.sub(r"\{\w+\}", "1", r.path.split("?")[0]) for r in API}
    missing = []
    for route in _api_routes():
        regex = re.compile("^/" + route.replace("^", "").replace("$", "") + "$")
        if not any(regex.match(path) for path in covered):
            missing.append(route)
    assert missing == [], f"API routes missing from the authorisation matrix: {missing}"


def test_agent_lists_never_show_foreign_objects(world: World) -> None:
    client = session_client(world.users["agent"])
    foreign, own = world.ids("foreign"), world.ids("own")
    checks = [
        ("/api/v1/conversations/", "conversation"),
        ("/api/v1/outbound/", "draft"),
        ("/api/v1/dead-letters/", "letter"),
        ("/api/v1/platform-accounts/", "account"),
        ("/api/v1/canned-replies/", "canned"),
    ]
    for url, key in checks:
        data = client.get(url).json()
        items = data["results"] if isinstance(data, dict) and "results" in data else data
        ids = {item["id"] for item in items}
        assert own[key] in ids, url
        assert foreign[key] not in ids, url
    # Filters cannot reach around the scope either.
    response = client.get(f"/api/v1/outbound/?account={foreign['account']}")
    assert response.json()["results"] == []
    queue = json.dumps(client.get("/api/v1/review/queue/").json())
    health = json.dumps(client.get("/api/v1/health/platforms/").json())
    assert "Riley Foreign" not in queue
    assert "sec-foreign" not in health


def _admin_pages(world: World) -> list[tuple[str, str]]:
    """(url, "app.view_model") for every registered model's changelist, and each own object's change page."""
    pages = []
    objects = {
        type(o): o
        for o in (
            world.own.account,
            world.own.conversation,
            world.own.message,
            world.own.draft,
            world.own.letter,
            world.platform,
        )
    }
    for model in admin.site._registry:
        meta = model._meta
        perm = f"{meta.app_label}.view_{meta.model_name}"
        pages.append((reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"), perm))
        if model in objects:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[objects[model].pk])
            pages.append((url, perm))
    return pages


PROJECT_APPS = {"platforms", "inbox", "dispatch", "rollout", "core", "auth"}
OPS_VIEW = {
    "platforms.view_platform",
    "platforms.view_platformaccount",
    "platforms.view_botsettings",
    "platforms.view_healingevent",
    "platforms.view_locatoroverride",
    "dispatch.view_deadletter",
    "dispatch.view_dispatchattempt",
    "inbox.view_outboundmessage",
    "core.view_auditlog",
}


def test_admin_pages_answer_each_role_as_designed(world: World) -> None:
    failures = []
    clients = {
        "anon": session_client(None),
        "norole": session_client(world.users["norole"]),
        "agent": session_client(world.users["agent"]),
        "ops": session_client(world.users["ops"]),
        "admin": session_client(world.users["admin"]),
    }
    for url, perm in _admin_pages(world):
        app = perm.split(".")[0]
        for who, client in clients.items():
            response = client.get(url)
            status, location = response.status_code, response.get("Location", "")
            if who in {"anon", "norole", "agent"}:
                good = status == 302 and "/admin/login/" in location
            elif who == "ops":
                good = status == (200 if perm in OPS_VIEW else 403)
            else:
                good = status == 200 if app in PROJECT_APPS else status in (200, 403)
            if not good:
                failures.append((who, url, status))
    assert failures == []


def test_admin_index_needs_staff(world: World) -> None:
    assert session_client(world.users["agent"]).get("/admin/").status_code == 302
    assert session_client(world.users["ops"]).get("/admin/").status_code == 200
    assert session_client(world.users["admin"]).get("/admin/").status_code == 200
