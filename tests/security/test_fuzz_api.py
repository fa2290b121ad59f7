"""Property: whatever JSON (or query string) a client sends, the API answers with a 2xx or a 4xx with a reason, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.routes import World

pytestmark = pytest.mark.django_db

FIELDS = (
    "body",
    "reason",
    "text",
    "agent",
    "title",
    "account",
    "conversation",
    "is_active",
    "send_mode",
    "is_canary",
    "default_send_mode",
    "rollout_stage",
    "canary_share_percent",
    "max_auto_send_age_minutes",
    "allowlist_only",
)
ODD_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "auto_send",
            "draft_only",
            "full",
            "canary",
            "shadow",
            "true",
            "1e309",
            "NaN",
            "-1",
            "9" * 30,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\ud7ff\ufffd",
            "x" * 5000,
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4), max_leaves=8
)
PAYLOADS = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6),
    JSON_VALUES,
)
WRITES = [
    ("post", "/api/v1/conversations/{conversation}/reply/"),
    ("patch", "/api/v1/outbound/{draft}/"),
    ("post", "/api/v1/outbound/{draft}/approve/"),
    ("post", "/api/v1/outbound/{draft}/reject/"),
    ("patch", "/api/v1/settings/"),
    ("patch", "/api/v1/platform-accounts/{account}/"),
    ("patch", "/api/v1/platforms/{platform}/"),
    ("post", "/api/v1/conversations/{conversation}/notes/"),
    ("post", "/api/v1/conversations/{conversation}/assign/"),
    ("post", "/api/v1/guardrails/check/"),
    ("post", "/api/v1/canned-replies/"),
    ("patch", "/api/v1/canned-replies/{canned}/"),
    ("post", "/api/v1/dead-letters/{letter}/discard/"),
]
LISTS = [
    (
        "/api/v1/conversations/",
        ("platform", "account", "status", "human_required", "taken_over", "assigned", "search", "page", "page_size"),
    ),
    ("/api/v1/outbound/", ("status", "conversation", "account", "platform", "page")),
    ("/api/v1/dead-letters/", ("status", "stage", "account", "platform", "page")),
    ("/api/v1/platform-accounts/", ("platform",)),
    ("/api/v1/canned-replies/", ("account",)),
    ("/api/v1/review/queue/", ("platform", "account")),
    ("/api/v1/observability/", ("since", "until", "hours")),
    ("/api/v1/reports/", ("since", "until", "hours", "group_by")),
]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _assert_answered(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:500])
    if 400 <= response.status_code < 500:
        assert response.content, f"{what}: a {response.status_code} without a reason"
        reason = response.json()
        assert reason, f"{what}: an empty reason"


@pytest.mark.parametrize("role", ["admin", "agent"])
@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
@FUZZ
@given(payload=PAYLOADS, key=st.one_of(st.none(), ODD_TEXT))
def test_write_payloads_never_500(world: World, role: str, method: str, path: str, payload: Any, key: Any) -> None:
    url = path.format(**world.ids("own"))
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key.replace("\x00", "")[:200]}
    try:
        raw = json.dumps(payload)
    except ValueError:
        raw = json.dumps(str(payload))
    response = getattr(_client(world.users[role]), method)(url, raw, content_type="application/json", **headers)
    _assert_answered(response, f"{method} {url} {raw[:200]}")


@pytest.mark.parametrize(("method", "path"), WRITES[:5], ids=[f"{m} {p}" for m, p in WRITES[:5]])
@FUZZ
@given(raw=st.binary(max_size=300))
def test_write_bodies_that_are_not_json_never_500(world: World, method: str, path: str, raw: bytes) -> None:
    url = path.format(**world.ids("own"))
    response = getattr(_client(world.users["admin"]), method)(url, raw, content_type="application/json")
    _assert_answered(response, f"{method} {url} {raw[:100]!r}")


@pytest.mark.parametrize(("path", "names"), LISTS, ids=[p for p, _n in LISTS])
@FUZZ
@given(data=st.data())
def test_list_filters_never_500(world: World, path: str, names: tuple[str, ...], data: Any) -> None:
    params = data.draw(
        st.dictionaries(st.sampled_from(names), ODD_TEXT.map(lambda t: t.replace("\x00", "")), max_size=4)
    )
    role = "ops" if path.startswith(("/api/v1/observability", "/api/v1/reports")) else "admin"
    response = _client(world.users[role]).get(path, params)
    _assert_answered(response, f"GET {path} {params}")


@FUZZ
@given(pk=st.one_of(st.integers(min_value=-(2**70), max_value=2**70), ODD_TEXT))
def test_object_ids_of_any_shape_never_500(world: World, pk: Any) -> None:
    client = _client(world.users["admin"])
    for path in (
        "/api/v1/conversations/{}/",
        "/api/v1/outbound/{}/",
        "/api/v1/dead-letters/{}/",
        "/api/v1/platform-accounts/{}/",
    ):
        text = str(pk).replace("/", "").replace("?", "").replace("#", "").replace("\x00", "")
        response = client.get(path.format(text))
        assert response.status_code < 500, (path, pk, response.status_code)
