"""Issue 18, "no 5xx from any input": bounded JSON, calendar-safe date windows, safe templates, strict reply text.

Each test here failed before its fix: deep JSON was a ``RecursionError``, an oversized body
was read whole, ``until=9999-12-31`` overflowed, an admin edit with an unknown variable
crashed the change page's preview with a ``KeyError``, ``{"body": 123}`` became a reply
"123", and bidi overrides and control characters went into replies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from inbox.models import OutboundMessage, ReplyTemplate
from inbox.services import outbound_create, template_preview
from inbox.templating import render_template
from leasebot.core.fields import ReplyTextField
from leasebot.core.parsers import json_depth
from leasebot.core.text import strip_unsafe, unsafe_characters
from tests.platforms.factories import UserFactory
from tests.security.test_invalid_input import _endpoints

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _send(client: Any, method: str, url: str, raw: str) -> Any:
    return getattr(client, method)(url, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep-1")


# --- JSON depth and size -------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["array", "object", "in_body"])
def test_deeply_nested_json_is_a_400_on_every_write_route(
    admin_client: Any, conversation: Any, draft: Any, granted: Any, shape: str
) -> None:
    # given: JSON nested far past Python's recursion limit
    levels = 5000
    raw = {
        "array": "[" * levels + "]" * levels,
        "object": '{"a":' * levels + "1" + "}" * levels,
        "in_body": '{"body": ' + "[" * levels + "]" * levels + "}",
    }[shape]
    for method, url in _endpoints(conversation, draft, granted):
        # when
        response = _send(admin_client, method, url, raw)
        # then
        assert response.status_code == 400, (url, response.status_code)
        assert "nests deeper than" in response.json()["detail"], url


def test_nesting_within_the_limit_still_reaches_the_serializer(admin_client: Any, conversation: Any) -> None:
    raw = json.dumps({"body": [[["x"]]]})
    response = _send(admin_client, "post", f"/api/v1/conversations/{conversation.pk}/reply/", raw)
    assert response.status_code == 400
    assert "body" in response.json()


def test_oversized_json_body_is_a_400_with_the_limit(
    admin_client: Any, conversation: Any, draft: Any, granted: Any, settings: Any
) -> None:
    settings.LEASEBOT_API_MAX_JSON_BYTES = 2000
    raw = json.dumps({"body": "x" * 3000})
    for method, url in _endpoints(conversation, draft, granted):
        response = _send(admin_client, method, url, raw)
        assert response.status_code == 400, (url, response.status_code)
        assert "larger than 2000 bytes" in response.json()["detail"], url


def test_json_that_is_not_utf8_is_a_400(admin_client: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    response = admin_client.post(url, b'{"body": "\xff\xfe"}', content_type="application/json")
    assert response.status_code == 400


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('ab[]{}"\\:,')),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="[]{}\"'\\ab"), inner, max_size=3),
    max_leaves=30,
)


@FUZZ
@given(value=_JSON)
def test_json_depth_counts_nesting_and_ignores_brackets_inside_strings(value: Any) -> None:
    assert json_depth(json.dumps(value)) == _depth(value)


# --- date windows --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/observability/", "/api/v1/reports/", "/reports/"])
@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",
        "since=0001-01-01",
        "until=0001-01-01",
        "since=9999-12-31",
        "since=0001-01-01&until=0001-01-02",
        "since=9999-12-30T00:00:00&until=9999-12-31T23:59:59",
        "until=0001-01-01T00:00:00%2B05:00",
    ],
)
def test_dates_off_the_calendar_are_a_400_with_the_range(admin_user: Any, url: str, query: str) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400, (url, query, response.status_code)
    assert b"between 1970-01-01 and 2999-12-31" in response.content


def test_dates_within_the_range_are_answered(admin_client: Any) -> None:
    response = admin_client.get("/api/v1/reports/?since=2999-12-01&until=2999-12-31")
    assert response.status_code == 200


# --- reply templates -----------------------------------------------------------------------


@pytest.fixture
def superuser_client(db: Any) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root18", is_staff=True, is_superuser=True))
    return client


def test_admin_edit_with_an_unknown_variable_shows_the_error_inline(superuser_client: Client) -> None:
    # given: an existing template, whose change page also shows a preview
    template = ReplyTemplate.objects.get(key="parking", language="en", platform__isnull=True)
    url = reverse("admin:inbox_replytemplate_change", args=[template.pk])
    # when: an edit uses a variable that does not exist
    response = superuser_client.post(
        url,
        {
            "key": "parking",
            "language": "en",
            "body": "Parking: {parking}, and {free_month}.",
            "is_active": "on",
            "auto_send": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "1",
        },
    )
    # then: the form comes back with the reason, nothing saved
    assert response.status_code == 200
    assert b"Unknown variable(s): free_month" in response.content
    template.refresh_from_db()
    assert "free_month" not in template.body


def test_a_stored_invalid_template_previews_as_its_reason_and_never_renders() -> None:
    # given: a body that bypassed validation (a raw update, as an old row or a shell could leave)
    template = ReplyTemplate.objects.get(key="parking", language="en", platform__isnull=True)
    ReplyTemplate.objects.filter(pk=template.pk).update(body="Hi {free_month} {renter_name.__class__}")
    template.refresh_from_db()
    # then
    assert template_preview(template=template).startswith("No preview:")
    with pytest.raises(ValidationError):
        render_template(template.body, {"renter_name": "Jo"})


# --- reply text ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [123, 1.5, True, ["Hello"], {"text": "Hello"}])
def test_a_reply_body_that_is_not_a_string_is_a_400(admin_client: Any, conversation: Any, body: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    response = admin_client.post(url, {"body": body}, format="json", HTTP_IDEMPOTENCY_KEY="num-1")
    assert response.status_code == 400
    assert "body" in response.json()
    assert not OutboundMessage.objects.filter(conversation=conversation).exists()


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("\x07", "U+0007"),
        ("\x1b", "U+001B"),
        ("\x85", "U+0085"),
        ("\x00", "U+0000"),
    ],
)
def test_unsafe_characters_in_an_agents_text_are_a_400_naming_them(
    admin_client: Any, conversation: Any, draft: Any, char: str, name: str
) -> None:
    text = f"Hello{char} there"
    for method, url, payload in (
        ("post", f"/api/v1/conversations/{conversation.pk}/reply/", {"body": text}),
        ("patch", f"/api/v1/outbound/{draft.pk}/", {"body": text}),
        ("post", f"/api/v1/outbound/{draft.pk}/approve/", {"body": text}),
        ("post", "/api/v1/canned-replies/", {"title": "t", "body": text}),
    ):
        response = getattr(admin_client, method)(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="bidi-1")
        assert response.status_code == 400, (url, response.status_code)
        assert name in json.dumps(response.json()), url
    draft.refresh_from_db()
    assert char not in draft.body


def test_newlines_and_tabs_stay_and_crlf_becomes_a_newline(admin_client: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    response = admin_client.post(
        url, {"body": "Hello,\r\n\tthe room is free."}, format="json", HTTP_IDEMPOTENCY_KEY="nl-1"
    )
    assert response.status_code in {200, 201}, response.json()
    assert OutboundMessage.objects.get(conversation=conversation).body == "Hello,\n\tthe room is free."


def test_the_bot_never_emits_unsafe_characters(conversation: Any) -> None:
    # given: a bot reply built from a renter-supplied name carrying an override and a bell
    row = outbound_create(
        conversation=conversation,
        body="Hi Jo\u202eevil\u202c\x07, the room is free.",
        purpose="reply",
        dispatch_key="bidi-bot-1",
    )
    # then
    assert row.body == "Hi Joevil, the room is free."
    assert unsafe_characters(row.body) == []


class _Reply(serializers.Serializer[Any]):
    body = ReplyTextField(max_length=4000)


@FUZZ
@given(text=st.text(max_size=60))
def test_reply_text_is_refused_exactly_when_it_carries_unsafe_characters(text: str) -> None:
    data = _Reply(data={"body": text})
    if data.is_valid():
        assert unsafe_characters(data.validated_data["body"]) == []
    elif unsafe_characters(text) and text.strip():  # An all-blank text is refused as blank first.
        assert "may not carry" in str(data.errors["body"])
    assert unsafe_characters(strip_unsafe(text)) == []
