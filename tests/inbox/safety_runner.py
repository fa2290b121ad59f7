"""Measure the safety detectors over the labelled sets (no database, no network).

``python -m tests.inbox.safety_runner`` (with ``DJANGO_SETTINGS_MODULE`` set) prints, per set,
the detection rate (positives caught) and the false-positive rate (harmless texts flagged).

What "caught" means, per set:
- ``payment``: the planned reply is held for a person and offers no showing slot;
- ``fair_housing_inbound``: the planned reply is held for a person;
- ``fair_housing_outbound``: ``check_text`` flags ``fair_housing``.
A false positive is a harmless text that the detector itself flags (the risk flag on a renter
message, the guardrail category on an outbound text), so a message held for another reason
(say an unknown intent) does not count against the detector.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from inbox.engine import RulesEngine
from inbox.engine.base import DecisionContext
from inbox.engine.planner import plan_reply
from inbox.engine.safety import FAIR_HOUSING_TOPIC, PAYMENT_PRESSURE
from inbox.guardrails import FAIR_HOUSING, check_text
from inbox.language import detect_language, reply_language
from tests.inbox import corpus_runner

SAFETY = Path(__file__).parent / "corpus" / "safety.yaml"
SAFETY_HOLDOUT = Path(__file__).parent / "corpus" / "safety_holdout.yaml"
SAFETY_ES = Path(__file__).parent / "corpus" / "safety_es.yaml"
SAFETY_HOLDOUT_ES = Path(__file__).parent / "corpus" / "safety_holdout_es.yaml"
SETS = ("payment", "fair_housing_inbound", "fair_housing_outbound")
_INBOUND_FLAG = {"payment": PAYMENT_PRESSURE, "fair_housing_inbound": FAIR_HOUSING_TOPIC}


@dataclasses.dataclass(frozen=True)
class Verdict:
    text: str
    positive: bool
    caught: bool
    flagged: bool


@dataclasses.dataclass(frozen=True)
class Rates:
    name: str
    positives: int
    caught: int
    flagged: int
    negatives: int
    false_positives: int
    misses: tuple[str, ...]
    false_alarms: tuple[str, ...]

    @property
    def detection(self) -> float:
        return self.caught / self.positives

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.negatives


def load(path: Path = SAFETY) -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load(path.read_text())


def _inbound(name: str, row: dict[str, Any]) -> Verdict:
    guess = detect_language(row["t"])
    language = guess.language or "en"
    templates = corpus_runner.default_templates(reply_language(language))
    ctx = DecisionContext(
        text=row["t"],
        renter_name="Sam Rivera",
        facts=corpus_runner.FACTS_ES if reply_language(language) == "es" else corpus_runner.FACTS,
        find_slots=lambda: list(corpus_runner.OFFERED),
        template=templates.get,
        language=language,
    )
    classification = RulesEngine(today=corpus_runner.TODAY).classify(ctx)
    plan = plan_reply(ctx, classification)
    caught = plan.human_required and (name != "payment" or not plan.offered_slots)
    return Verdict(row["t"], bool(row["y"]), caught, _INBOUND_FLAG[name] in classification.risk_flags)


def _outbound(row: dict[str, Any]) -> Verdict:
    flagged = FAIR_HOUSING in check_text(row["t"]).categories
    return Verdict(row["t"], bool(row["y"]), flagged, flagged)


def measure(name: str, path: Path = SAFETY) -> Rates:
    rows = load(path)[name]
    verdicts = [_outbound(row) if name == "fair_housing_outbound" else _inbound(name, row) for row in rows]
    positives = [v for v in verdicts if v.positive]
    negatives = [v for v in verdicts if not v.positive]
    return Rates(
        name=name,
        positives=len(positives),
        caught=sum(v.caught for v in positives),
        flagged=sum(v.flagged for v in positives),
        negatives=len(negatives),
        false_positives=sum(v.flagged for v in negatives),
        misses=tuple(v.text for v in positives if not v.caught),
        false_alarms=tuple(v.text for v in negatives if v.flagged),
    )


def report(path: Path = SAFETY) -> str:
    lines = []
    for name in SETS:
        rates = measure(name, path)
        lines.append(
            f"{name}: detection {rates.caught}/{rates.positives} = {rates.detection:.1%} "
            f"(by the detector itself {rates.flagged}/{rates.positives}), "
            f"false positives {rates.false_positives}/{rates.negatives} = {rates.false_positive_rate:.1%}"
        )
        lines += [f"  missed: {text!r}" for text in rates.misses]
        lines += [f"  false alarm: {text!r}" for text in rates.false_alarms]
    return "\n".join(lines)


if __name__ == "__main__":
    import django

    django.setup()
    print(report())
    print("held-out:")
    print(report(SAFETY_HOLDOUT))
    print("Spanish:")
    print(report(SAFETY_ES))
    print("Spanish held-out:")
    print(report(SAFETY_HOLDOUT_ES))
