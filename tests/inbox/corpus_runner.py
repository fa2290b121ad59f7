"""Run the rules engine and the planner over the corpus (no database, no network)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import pkgutil
from pathlib import Path
from typing import Any

import yaml

from inbox.choices import Language
from inbox.engine import RulesEngine
from inbox.engine.base import DecisionContext, ResolvedTemplate, UnitFacts
from inbox.engine.planner import plan_reply
from inbox.guardrails import check_text
from inbox.language import detect_language, reply_language

CORPUS = Path(__file__).parent / "corpus" / "messages.yaml"
HOLDOUT = Path(__file__).parent / "corpus" / "holdout.yaml"
HOLDOUT_2 = Path(__file__).parent / "corpus" / "holdout_2.yaml"
HOLDOUT_SHOWING = Path(__file__).parent / "corpus" / "holdout_showing.yaml"
#: Spanish: the labelled set the Spanish rules were written with, and the part written after them.
CORPUS_ES = Path(__file__).parent / "corpus" / "messages_es.yaml"
HOLDOUT_ES = Path(__file__).parent / "corpus" / "holdout_es.yaml"
#: Renters writing in languages the bot does not answer (French, German, Portuguese, Italian...): held.
OTHER_LANGUAGES = Path(__file__).parent / "corpus" / "other_languages.yaml"
TODAY = dt.date(2027, 1, 11)
FACTS_ES = UnitFacts(
    listing_title="Sunny 1BR in Williamsburg",
    unit_name="Apt 3B",
    address="se comparte cuando tu visita esté reservada",
    rent="$2,450",
    deposit="$2,450",
    available_from="1 de marzo de 2027",
    bedrooms="1",
    pets_policy="cats and small dogs are welcome with a $300 pet deposit",
    parking="street parking, and a garage spot for $150 a month",
    min_lease_months="12",
    application_url="https://apply.example.test/u/1",
    booked_address="120 Bedford Ave, Brooklyn, NY 11211",
)
FACTS = UnitFacts(
    listing_title="Sunny 1BR in Williamsburg",
    unit_name="Apt 3B",
    address="shared once your showing is booked",
    rent="$2,450",
    deposit="$2,450",
    available_from="March 1, 2027",
    bedrooms="1",
    pets_policy="cats and small dogs are welcome with a $300 pet deposit",
    parking="street parking, and a garage spot for $150 a month",
    min_lease_months="12",
    application_url="https://apply.example.test/u/1",
    booked_address="120 Bedford Ave, Brooklyn, NY 11211",
)
OFFERED = tuple(
    {
        "label": label,
        "local_start": local,
        "starts_at": local,
        "ends_at": local,
        "unit_id": 1,
        "agent_id": 1,
        "timezone": "America/New_York",
    }
    for label, local in (
        ("Tue Jan 12, 10:00 AM", "2027-01-12T10:00:00-05:00"),
        ("Wed Jan 13, 2:30 PM", "2027-01-13T14:30:00-05:00"),
        ("Thu Jan 14, 5:00 PM", "2027-01-14T17:00:00-05:00"),
    )
)


def default_templates(language: str = Language.EN) -> dict[str, ResolvedTemplate]:
    """Return the seeded default templates of one language (the data migrations' frozen texts)."""
    attribute = "TEMPLATES_ES" if language == Language.ES else "TEMPLATES"
    package = importlib.import_module("inbox.migrations")
    texts: dict[str, str] = {}
    for name in sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name[:4].isdigit()):
        texts.update(getattr(importlib.import_module(f"inbox.migrations.{name}"), attribute, None) or {})
    return {key: ResolvedTemplate(key, 1, body, language=language) for key, body in texts.items()}


@dataclasses.dataclass(frozen=True)
class Result:
    text: str
    expected_intent: str
    expected_outcome: str
    intent: str
    outcome: str
    reasons: tuple[str, ...]
    #: The language the reply was written in (en, es) or "other" (held), and the one the label expects.
    language: str = Language.EN
    expected_language: str = Language.EN


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())


def outcome_of(reply: str, reasons: list[str]) -> str:
    if not reply:
        return "no_reply"
    return "hold" if reasons or not check_text(reply).ok else "reply"


def run(path: Path = CORPUS, *, language: str = Language.EN) -> list[Result]:
    """Run every row; ``language`` is what the set's rows are written in unless a row says (``l``).

    The message's language is read as in production (``inbox.language.detect_language``); a row
    too short to tell keeps the conversation's language, ``c`` (default: the set's language for a
    row that follows an exchange, else none, so English).
    """
    templates: dict[str, dict[str, ResolvedTemplate]] = {
        lang: default_templates(lang) for lang in (Language.EN, Language.ES)
    }
    engine = RulesEngine(today=TODAY)
    results = []
    for row in load(path):
        state = row.get("s", "none")
        guess = detect_language(row["t"])
        before = row.get("c", language if state != "none" else "")
        spoken = guess.language if guess.known else before
        spoken = spoken or Language.EN
        written = reply_language(spoken)
        ctx = DecisionContext(
            text=row["t"],
            renter_name="Sam Rivera",
            facts=None if row.get("u") else (FACTS_ES if written == Language.ES else FACTS),
            showing_state=state,
            workflow_outcome="engaged" if state != "none" else "new",
            offered_slots=OFFERED if state == "offered" else (),
            booked_slot={"label": "Tue Jan 12, 10:00 AM"} if state == "booked" else None,
            # p: the booked showing's time has passed (the renter may say how it went).
            booked_started=bool(row.get("p")),
            find_slots=lambda: list(OFFERED),
            template=templates[written].get,
            language=spoken,
        )
        classification = engine.classify(ctx)
        plan = plan_reply(ctx, classification)
        results.append(
            Result(
                row["t"],
                row["i"],
                row["o"],
                classification.intent,
                outcome_of(plan.reply_text, plan.reason_codes),
                tuple(plan.reason_codes),
                spoken,
                row.get("l", language),
            )
        )
    return results


def unsafe_auto_replies(results: list[Result]) -> list[Result]:
    """Return the messages a person should have seen (held or silent) that the bot answered on its own."""
    return [r for r in results if r.expected_outcome in {"hold", "no_reply"} and r.outcome == "reply"]


def per_intent(results: list[Result]) -> dict[str, tuple[int, int]]:
    """Return {expected intent: (right, total)}."""
    table: dict[str, tuple[int, int]] = {}
    for r in results:
        right, total = table.get(r.expected_intent, (0, 0))
        table[r.expected_intent] = (right + (r.intent == r.expected_intent), total + 1)
    return dict(sorted(table.items()))


def false_alarms(results: list[Result]) -> list[Result]:
    """Return the harmless messages (labelled ``reply``) held only because a safety rule fired."""
    return [r for r in results if r.expected_outcome == "reply" and "high_risk" in r.reasons]


def report(results: list[Result]) -> str:
    intent_ok = sum(r.intent == r.expected_intent for r in results)
    language_ok = sum(r.language == r.expected_language for r in results)
    outcome_ok = sum(r.outcome == r.expected_outcome for r in results)
    both = sum(r.intent == r.expected_intent and r.outcome == r.expected_outcome for r in results)
    lines = [
        f"messages: {len(results)}",
        f"intent accuracy: {intent_ok}/{len(results)} = {intent_ok / len(results):.1%}",
        f"outcome accuracy: {outcome_ok}/{len(results)} = {outcome_ok / len(results):.1%}",
        f"both right: {both}/{len(results)} = {both / len(results):.1%}",
        f"auto-replies: {sum(r.outcome == 'reply' for r in results)}/{len(results)}",
        f"unsafe auto-replies: {len(unsafe_auto_replies(results))}",
        f"language read right: {language_ok}/{len(results)}",
        f"harmless messages held by a risk flag: {len(false_alarms(results))}",
        "per intent: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in per_intent(results).items()),
    ]
    for r in results:
        if r.intent != r.expected_intent or r.outcome != r.expected_outcome or r.language != r.expected_language:
            lines.append(
                f"  want {r.expected_intent}/{r.expected_outcome}/{r.expected_language} got {r.intent}/{r.outcome}/{r.language}"
                f" {list(r.reasons)}: {r.text[:90]!r}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    import django

    django.setup()
    print(report(run()))
    print("held-out:")
    print(report(run(HOLDOUT)))
    print("held-out part 2:")
    print(report(run(HOLDOUT_2)))
    print("held-out, the showing's life:")
    print(report(run(HOLDOUT_SHOWING)))
    print("Spanish:")
    print(report(run(CORPUS_ES, language=Language.ES)))
    print("Spanish held-out:")
    print(report(run(HOLDOUT_ES, language=Language.ES)))
    print("other languages:")
    print(report(run(OTHER_LANGUAGES, language=Language.OTHER)))
