"""The default engine over the renter corpus: accuracy floors measured honestly (docs/engine.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from inbox.choices import Intent, Language
from inbox.engine import RulesEngine
from inbox.engine.base import DecisionContext
from inbox.engine.extract import extract_profile
from inbox.text import fold
from tests.inbox import corpus_runner

# Measured: corpus 99.0% intent / 100% outcome; held-out 82.5% / 77.5% (85% / 80% after later
# fixes). Floors sit a little below so a harmless rule edit does not fail the build, while a real
# regression does.
CORPUS_INTENT_FLOOR = 0.95
CORPUS_OUTCOME_FLOOR = 0.95
HOLDOUT_INTENT_FLOOR = 0.80
HOLDOUT_OUTCOME_FLOOR = 0.75
# Held-out part 2 (written after the safety rules, 2026-11-30), measured 93.2 % intent, 94.9 % outcome.
HOLDOUT_2_INTENT_FLOOR = 0.90
HOLDOUT_2_OUTCOME_FLOOR = 0.90
# Held-out, the showing's life (2026-12-01, 9 messages), measured 66.7 % intent, 88.9 % outcome: the
# rules miss "missed our appointment", read "is there another time?" after a missed showing as a
# reschedule, and "thanks for your time" as a greeting. Floors at the measured rates.
SHOWING_INTENT_FLOOR = 0.66
SHOWING_OUTCOME_FLOOR = 0.88
SHOWING_LIFE_INTENTS = {Intent.CONFIRM_SHOWING, Intent.SHOWING_MISSED, Intent.SHOWING_ATTENDED}
# Spanish (2026-12-01). Labelled set (the rules were written with it): 98.0 % intent, 100 % outcome.
# Held-out set, measured once before any fix: 88.2 % intent, 94.1 % outcome, 0 unsafe (94.1 % / 100 %
# after three misses were fixed, so 88.2 % stays its honest figure). Floors at the first measurement.
SPANISH_INTENT_FLOOR = 0.95
SPANISH_OUTCOME_FLOOR = 0.95
SPANISH_HOLDOUT_INTENT_FLOOR = 0.88
SPANISH_HOLDOUT_OUTCOME_FLOOR = 0.94


def test_corpus_is_large_and_covers_every_intent() -> None:
    rows = corpus_runner.load()
    assert len(rows) >= 150
    assert {row["i"] for row in rows} == set(Intent.values)
    assert {row["o"] for row in rows} == {"reply", "hold", "no_reply"}


def test_engine_accuracy_on_the_corpus_is_above_the_floor() -> None:
    results = corpus_runner.run()
    intent = sum(r.intent == r.expected_intent for r in results) / len(results)
    outcome = sum(r.outcome == r.expected_outcome for r in results) / len(results)

    assert intent >= CORPUS_INTENT_FLOOR, corpus_runner.report(results)
    assert outcome >= CORPUS_OUTCOME_FLOOR, corpus_runner.report(results)


def test_engine_accuracy_on_the_held_out_set_is_above_the_floor() -> None:
    results = corpus_runner.run(corpus_runner.HOLDOUT)
    intent = sum(r.intent == r.expected_intent for r in results) / len(results)
    outcome = sum(r.outcome == r.expected_outcome for r in results) / len(results)

    assert intent >= HOLDOUT_INTENT_FLOOR, corpus_runner.report(results)
    assert outcome >= HOLDOUT_OUTCOME_FLOOR, corpus_runner.report(results)


def test_engine_accuracy_on_held_out_part_2_is_above_the_floor() -> None:
    results = corpus_runner.run(corpus_runner.HOLDOUT_2)
    intent = sum(r.intent == r.expected_intent for r in results) / len(results)
    outcome = sum(r.outcome == r.expected_outcome for r in results) / len(results)

    # Written before the showing-life intents existed (they have a held-out set of their own, below).
    assert {r.expected_intent for r in results} == set(Intent.values) - SHOWING_LIFE_INTENTS
    assert intent >= HOLDOUT_2_INTENT_FLOOR, corpus_runner.report(results)
    assert outcome >= HOLDOUT_2_OUTCOME_FLOOR, corpus_runner.report(results)


def test_engine_accuracy_on_the_held_out_showing_life_set_is_above_the_floor() -> None:
    results = corpus_runner.run(corpus_runner.HOLDOUT_SHOWING)
    intent = sum(r.intent == r.expected_intent for r in results) / len(results)
    outcome = sum(r.outcome == r.expected_outcome for r in results) / len(results)

    assert {r.expected_intent for r in results} == SHOWING_LIFE_INTENTS
    assert intent >= SHOWING_INTENT_FLOOR, corpus_runner.report(results)
    assert outcome >= SHOWING_OUTCOME_FLOOR, corpus_runner.report(results)


@pytest.mark.parametrize(
    "path", [corpus_runner.CORPUS, corpus_runner.HOLDOUT, corpus_runner.HOLDOUT_2, corpus_runner.HOLDOUT_SHOWING]
)
def test_engine_makes_no_unsafe_auto_reply_in_the_corpora(path: Path) -> None:
    # The English sets' few Spanish, French, German... rows carry their language (``l``): Spanish is
    # answered in Spanish, the others are held (labelled ``hold`` since 2026-12-01).
    # Unsafe: a message a person should see (held or silent) answered on the bot's own.
    unsafe = corpus_runner.unsafe_auto_replies(corpus_runner.run(path))

    assert unsafe == [], [r.text for r in unsafe]


@pytest.mark.parametrize(
    ("path", "intent_floor", "outcome_floor"),
    [
        (corpus_runner.CORPUS_ES, SPANISH_INTENT_FLOOR, SPANISH_OUTCOME_FLOOR),
        (corpus_runner.HOLDOUT_ES, SPANISH_HOLDOUT_INTENT_FLOOR, SPANISH_HOLDOUT_OUTCOME_FLOOR),
    ],
)
def test_spanish_accuracy_is_above_the_floor_and_every_reply_is_in_spanish(
    path: Path, intent_floor: float, outcome_floor: float
) -> None:
    results = corpus_runner.run(path, language=Language.ES)
    intent = sum(r.intent == r.expected_intent for r in results) / len(results)
    outcome = sum(r.outcome == r.expected_outcome for r in results) / len(results)

    assert {r.expected_intent for r in results} >= set(Intent.values) - {Intent.UNKNOWN}
    assert intent >= intent_floor, corpus_runner.report(results)
    assert outcome >= outcome_floor, corpus_runner.report(results)
    assert [r.text for r in results if r.language != Language.ES] == []
    assert corpus_runner.unsafe_auto_replies(results) == []


def test_other_languages_are_held_and_never_answered_on_the_bots_own() -> None:
    results = corpus_runner.run(corpus_runner.OTHER_LANGUAGES, language=Language.OTHER)

    assert [r.text for r in results if r.language != Language.OTHER] == []
    assert [r.text for r in results if r.outcome == "reply"] == []
    assert all(r.outcome == "no_reply" for r in results if r.expected_intent == Intent.OPT_OUT)


def test_engine_never_answers_an_opt_out_in_the_corpora() -> None:
    for path in (corpus_runner.CORPUS, corpus_runner.HOLDOUT, corpus_runner.HOLDOUT_2):
        for result in corpus_runner.run(path):
            if result.expected_intent == Intent.OPT_OUT:
                assert result.outcome == "no_reply", result.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We'd like to move in March 15, 2 people, budget up to $2,500, 12 month lease",
            {"move_in_date": "2027-03-15", "occupants": 2, "budget": 2500, "lease_months": 12},
        ),
        ("I have a small dog and I'm a travel nurse", {"pets": "small dog", "employment": "travel nurse"}),
        (
            "Just me, no pets. I have a Section 8 voucher. Need it by 2/1",
            {"occupants": 1, "pets": "none", "voucher": "section 8", "move_in_date": "2027-02-01"},
        ),
        ("max 2k", {"budget": 2000}),
    ],
)
def test_extract_profile_takes_what_the_renter_volunteers(text: str, expected: dict[str, object]) -> None:
    found = extract_profile(fold(text), today=dt.date(2027, 1, 11))

    for key, value in expected.items():
        assert found.get(key) == value, (key, found)


def test_rules_engine_is_deterministic() -> None:
    ctx = DecisionContext(text="Hi! Is it available? Do you allow cats?")
    engine = RulesEngine(today=dt.date(2027, 1, 11))

    assert engine.classify(ctx) == engine.classify(ctx)
