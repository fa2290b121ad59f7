"""Embedded script data: JSON, JavaScript object literals and Laravel's JSON.parse('...'), read without eval."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platforms.connectors.jsdata import MAX_DEPTH, JsDataError, parse_js_data
from platforms.connectors.roomies.parsing import component_data, renter_handle
from platforms.sandbox.render import js_literal, laravel_js


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"id": 1, "content": "x"}', {"id": 1, "content": "x"}),
        ("{id: 1, content: 'it\\'s', isSender: false,}", {"id": 1, "content": "it's", "isSender": False}),
        (
            "{ user: { id: 42, name: 'Dana', }, tags: ['a', \"b\",], }",
            {"user": {"id": 42, "name": "Dana"}, "tags": ["a", "b"]},
        ),
        ("{'quoted key': 1, $el: 2, _x: 3, 10: 'ten'}", {"quoted key": 1, "$el": 2, "_x": 3, "10": "ten"}),
        ("{a: '\\u00e9\\u{1F600}\\x41\\n\\t\\/'}", {"a": "\u00e9\U0001f600A\n\t/"}),
        ("{a: '\\ud83d\\ude00'}", {"a": "\U0001f600"}),
        ("{a: 'line \\\ncontinued'}", {"a": "line continued"}),
        (
            "{a: .5, b: 5., c: -3, d: +4, e: 0x1F, f: 1e3, g: null, h: true}",
            {"a": 0.5, "b": 5.0, "c": -3, "d": 4, "e": 31, "f": 1000.0, "g": None, "h": True},
        ),
        ("/* lead */ { a: 1, // trailing\n b: 2 }", {"a": 1, "b": 2}),
        (
            "JSON.parse('{\\u0022id\\u0022:5300,\\u0022content\\u0022:\\u0022Tom \\\\u0026 Jerry\\u0022}')",
            {"id": 5300, "content": "Tom & Jerry"},
        ),
        ('JSON.parse("[1,2]")', [1, 2]),
        ("[]", []),
        ("{}", {}),
    ],
)
def test_accepted_forms(text: str, value: Any) -> None:
    assert parse_js_data(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{a: b}",  # A variable.
        "{a: undefined}",
        "{a: `template`}",
        "{a: 1} extra",
        "alert(1)",
        "(function(){return {a: 1}})()",
        "{a: new Date()}",
        "JSON.parse(x)",
        "JSON.parse('{bad json}') + 1",
        "{a: 'unterminated}",
        "{a: 'line\nbreak'}",
        "{a: 01}",
        "{a: 1e400}",
        "{a: '\\08'}",
        "{a: '\\u{110000}'}",
        "{a 1}",
        "{a: 1 b: 2}",
        "[1 2]",
        "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2),
        "{a: NaN}",
    ],
)
def test_refused_as_a_value_error(text: str) -> None:
    with pytest.raises(JsDataError):
        parse_js_data(text)


def test_the_error_never_quotes_the_data() -> None:
    with pytest.raises(JsDataError) as caught:
        parse_js_data("{content: 'my phone is 917-555-0143', oops}")
    assert "917" not in str(caught.value)


VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=VALUES, style=st.sampled_from(["json", "literal", "laravel_js"]))
def test_what_a_replica_embeds_reads_back_unchanged(value: Any, style: str) -> None:
    encode = {"json": json.dumps, "literal": js_literal, "laravel_js": laravel_js}[style]
    assert parse_js_data(encode(value)) == value


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_is_a_value_or_a_value_error(text: str) -> None:
    with contextlib.suppress(JsDataError):
        parse_js_data(text)


@pytest.mark.parametrize("style", ["json", "literal", "laravel_js"])
def test_roomies_component_data_in_every_style_gives_content_and_the_renter_id(style: str) -> None:
    data = {
        "id": 5301,
        "content": "Is it free? <3 & 'soon'",
        "isSender": False,
        "createdAt": "2026-03-12T14:05:09.000000Z",
        "user": {"id": 481516, "name": "Dana O'Neil"},
    }
    encode = {"json": json.dumps, "literal": js_literal, "laravel_js": laravel_js}[style]
    parsed = component_data(f"messageItem({encode(data)})")
    assert parsed == data
    assert renter_handle(parsed, None) == "481516"
    assert renter_handle({"user": {"name": "x"}}, "/roomies/profiles/77") == "77"
    assert renter_handle({"user": {"id": True}}, None) == ""
