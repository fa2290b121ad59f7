"""Run the rules engine and the planner over the corpus (no database, no network)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import pkgutil
from pathlib import Path
from typing import Any

import yaml

from inbox.engine import RulesEngine
from inbox.engine.base import DecisionContext, ResolvedTemplate, UnitFacts
from inbox.engine.planner import plan_reply
from inbox.guardrails import check_text

CORPUS = Path(__file__).parent / "corpus" / "messages.yaml"
HOLDOUT = Path(__file__).parent / "corpus" / "holdout.yaml"
HOLDOUT_2 = Path(__file__).parent / "corpus" / "holdout_2.yaml"
HOLDOUT_SHOWING = Path(__file__).parent / "corpus" / "holdout_showing.yaml"
TODAY = dt.date(2027, 1, 11)
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


def default_templates() -> dict[str, ResolvedTemplate]:
    """Return the seeded default templates (the data migration's frozen texts)."""
    package = importlib.import_module("inbox.migrations")
    texts: dict[str, str] = {}
    for name in sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name[:4].isdigit()):
        texts.update(getattr(importlib.import_module(f"inbox.migrations.{name}"), "TEMPLATES", None) or {})
    return {key: ResolvedTemplate(key, 1, body) for key, body in texts.items()}


@dataclasses.dataclass(frozen=True)
class Result:
    text: str
    expected_intent: str
    expected_outcome: str
    intent: str
    outcome: str
    reasons: tuple[str, ...]


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())


def outcome_of(reply: str, reasons: list[str]) -> str:
    if not reply:
        return "no_reply"
    return "hold" if reasons or not check_text(reply).ok else "reply"


def run(path: Path = CORPUS) -> list[Result]:
    templates = default_templates()
    engine = RulesEngine(today=TODAY)
    results = []
    for row in load(path):
        state = row.get("s", "none")
        ctx = DecisionContext(
            text=row["t"],
            renter_name="Sam Rivera",
            facts=None if row.get("u") else FACTS,
            showing_state=state,
            workflow_outcome="engaged" if state != "none" else "new",
            offered_slots=OFFERED if state == "offered" else (),
            booked_slot={"label": "Tue Jan 12, 10:00 AM"} if state == "booked" else None,
            # p: the booked showing's time has passed (the renter may say how it went).
            booked_started=bool(row.get("p")),
            find_slots=lambda: list(OFFERED),
            template=templates.get,
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


def report(results: list[Result]) -> str:
    intent_ok = sum(r.intent == r.expected_intent for r in results)
    outcome_ok = sum(r.outcome == r.expected_outcome for r in results)
    both = sum(r.intent == r.expected_intent and r.outcome == r.expected_outcome for r in results)
    lines = [
        f"messages: {len(results)}",
        f"intent accuracy: {intent_ok}/{len(results)} = {intent_ok / len(results):.1%}",
        f"outcome accuracy: {outcome_ok}/{len(results)} = {outcome_ok / len(results):.1%}",
        f"both right: {both}/{len(results)} = {both / len(results):.1%}",
        f"auto-replies: {sum(r.outcome == 'reply' for r in results)}/{len(results)}",
        f"unsafe auto-replies: {len(unsafe_auto_replies(results))}",
        "per intent: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in per_intent(results).items()),
    ]
    for r in results:
        if r.intent != r.expected_intent or r.outcome != r.expected_outcome:
            lines.append(
                f"  want {r.expected_intent}/{r.expected_outcome} got {r.intent}/{r.outcome} {list(r.reasons)}: {r.text[:90]!r}"
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
