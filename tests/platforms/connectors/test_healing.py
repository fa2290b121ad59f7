"""The healing scorer (platforms/connectors/healing.py): fingerprints, scores, selector choice. Pure; no browser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platforms.connectors.healing import (
    WEIGHTS,
    Candidate,
    Fingerprint,
    Node,
    SelectorOption,
    choose_selector,
    rank,
    score,
    text_shape,
)

BODY = Fingerprint(
    tag="dd",
    classes=("message_body",),
    text="prose",
    index=1,
    siblings=4,
    parents=(Node("dl"), Node("li", "", ("message", "thread_in")), Node("ul", "", ("conversation",))),
)


def fp(**changes: object) -> Fingerprint:
    base = BODY.as_json()
    base.update(changes)
    return Fingerprint.from_json(base)


def test_weights_sum_to_one():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("12345", "number"),
        ("Today 3:05 PM EDT", "date"),
        ("11/23/2026, 3:05 PM", "date"),
        ("2h ago", "date"),
        ("Nov 23", "date"),
        ("Send message", "label"),
        ("Ari", "label"),
        ("Hi, is the room still free from the first of next month?", "prose"),
    ],
)
def test_text_shape_names_the_kind_of_text_never_the_text(text, shape):
    assert text_shape(text) == shape


@pytest.mark.parametrize(
    ("description", "candidate", "low", "high"),
    [
        ("identical", BODY, 1.0, 1.0),
        ("classes renamed", fp(classes=["msg-text"]), 0.85, 0.95),
        (
            "classes renamed, parents renamed",
            fp(
                classes=["msg-text"],
                parents=[
                    {"tag": "dl"},
                    {"tag": "li", "classes": ["msg", "msg--in"]},
                    {"tag": "ul", "classes": ["chat"]},
                ],
            ),
            0.78,
            0.9,
        ),
        (
            "moved one level down (wrapped in a div)",
            fp(
                classes=["msg-text"],
                parents=[{"tag": "div"}, {"tag": "dl"}, {"tag": "li", "classes": ["message", "thread_in"]}],
            ),
            0.72,
            0.9,
        ),
        ("the date beside it (renamed)", fp(classes=["msg-when"], text="date", index=3), 0.5, 0.7),
        ("a textarea elsewhere", Fingerprint(tag="textarea", attrs=(("name", "message"),)), 0.0, 0.3),
    ],
)
def test_score_table(description, candidate, low, high):
    assert low <= score(BODY, candidate) <= high, description


def test_the_renamed_body_outscores_its_renamed_sibling_date():
    body = fp(classes=["msg-text"])
    date = fp(classes=["msg-when"], text="date", index=3)
    ranked = rank(BODY, [date.as_json(), body.as_json()])
    assert [c.fingerprint for c in ranked] == [body, date]


nodes = st.builds(
    Node,
    tag=st.sampled_from(["div", "li", "ul", "dl", "section", "main"]),
    id=st.sampled_from(["", "main", "threads"]),
    classes=st.lists(st.sampled_from(["a", "b-c", "msg_row", "thread-item", "x"]), max_size=3).map(
        lambda c: tuple(sorted(c))
    ),
)
prints = st.builds(
    Fingerprint,
    tag=st.sampled_from(["div", "a", "li", "dd", "textarea", "button", "span"]),
    id=st.sampled_from(["", "reply", "loginemail", "sign-in-button"]),
    classes=st.lists(st.sampled_from(["message_body", "msg-text", "thread_item", "btn", "name"]), max_size=3).map(
        lambda c: tuple(sorted(c))
    ),
    attrs=st.lists(
        st.tuples(st.sampled_from(["name", "type", "role"]), st.sampled_from(["message", "submit", "button"])),
        max_size=2,
        unique_by=lambda kv: kv[0],
    ).map(lambda a: tuple(sorted(a))),
    data=st.lists(st.sampled_from(["data-thread-id", "data-message-id"]), max_size=2, unique=True).map(
        lambda d: tuple(sorted(d))
    ),
    text=st.sampled_from(["empty", "number", "date", "label", "prose"]),
    index=st.integers(0, 20),
    siblings=st.integers(1, 30),
    parents=st.lists(nodes, max_size=4).map(tuple),
)


@given(prints, prints)
def test_score_is_bounded_and_symmetric(a, b):
    assert 0.0 <= score(a, b) <= 1.0
    assert score(a, b) == pytest.approx(score(b, a))


@given(prints)
def test_a_fingerprint_scores_one_against_itself_and_survives_json(a):
    assert score(a, a) == 1.0
    assert Fingerprint.from_json(a.as_json()) == a
    assert Fingerprint.from_json(a.as_json()).digest == a.digest


@given(prints, st.sampled_from(["tag", "attrs", "parents"]))
def test_losing_a_strong_part_never_raises_the_score(a, part):
    changed = {
        "tag": {"tag": "object"},
        "attrs": {"attrs": {"name": "zzz"}, "data": ["data-zzz"]},
        "parents": {"parents": [{"tag": "table", "classes": ["zzz"]}]},
    }[part]
    other = Fingerprint.from_json({**a.as_json(), **changed})
    assert score(a, other) <= 1.0
    assert score(a, other) <= score(a, a)


def test_skeleton_keeps_markup_and_no_text():
    skeleton = BODY.skeleton()
    assert "<dd" in skeleton
    assert 'class="message_body"' in skeleton
    assert "[prose]" in skeleton


BEST = Candidate(index=3, fingerprint=BODY, score=0.9)


@pytest.mark.parametrize(
    ("kind", "options", "scores", "expected"),
    [
        # An element's selector must pick out that element alone, most specific first.
        (
            "element",
            [
                SelectorOption("dd.a", (3, 5), True),
                SelectorOption("dd.b", (3,), True),
                SelectorOption("dd", (3,), True),
            ],
            {},
            "dd.b",
        ),
        ("element", [SelectorOption("dd.a", (4,), False)], {}, None),
        # A group's selector matches the most items that all look like the one recorded...
        (
            "group",
            [SelectorOption("li.x", (3,), True), SelectorOption("li", (3, 4, 5), True)],
            {3: 0.9, 4: 0.88, 5: 0.87},
            "li",
        ),
        # ...the earlier option on a tie (the page lists what every item carries first)...
        (
            "group",
            [SelectorOption("li[data-id]", (3, 4), True), SelectorOption("ul > li.thread_in", (3, 4), True)],
            {3: 0.9, 4: 0.88},
            "li[data-id]",
        ),
        # ...and never one that also matches something unlike it.
        (
            "group",
            [SelectorOption("li.x", (3, 4), True), SelectorOption("li", (3, 4, 9), True)],
            {3: 0.9, 4: 0.88, 9: 0.2},
            "li.x",
        ),
        ("group", [SelectorOption("li", (3, -1), True)], {3: 0.9}, None),
    ],
)
def test_choose_selector(kind, options, scores, expected):
    assert choose_selector(kind, BEST, options, scores, floor=0.6) == expected
