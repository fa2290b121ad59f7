"""The decision engine: classify a renter's message, then plan the reply.

``classify`` picks the LLM engine when it is configured and falls back to the rules
engine on any error; ``plan_reply`` (deterministic) turns the classification into
states, a reply from templates and reason codes.
"""

from __future__ import annotations

import dataclasses
import logging

from inbox.choices import Intent
from inbox.engine.base import Classification, DecisionContext, ResolvedTemplate, UnitFacts
from inbox.engine.llm import LLMConfig, LLMEngine, LLMError
from inbox.engine.planner import Plan, plan_reply
from inbox.engine.rules import STRONG, RulesEngine

logger = logging.getLogger(__name__)

__all__ = [
    "Classification",
    "DecisionContext",
    "LLMConfig",
    "LLMEngine",
    "Plan",
    "ResolvedTemplate",
    "RulesEngine",
    "UnitFacts",
    "classify",
    "plan_reply",
]


def classify(ctx: DecisionContext, *, llm: LLMConfig | None = None, use_llm: bool = True) -> Classification:
    """Return the classification of one message: the LLM's when configured and valid, else the rules'.

    The rules engine always runs too (it is cheap): its risk flags are added to the LLM's,
    and a rules-detected opt-out wins, because missing a "stop" is never acceptable.
    """
    rules = RulesEngine().classify(ctx)
    config = llm if llm is not None else (LLMConfig.from_settings() if use_llm else None)
    if config is None:
        return rules
    try:
        answer = LLMEngine(config).classify(ctx)
    except LLMError as exc:
        logger.warning("llm engine fell back to rules: %s", exc.message)
        return dataclasses.replace(rules, engine_detail=f"llm fallback: {exc.message}"[:300])
    risk = tuple(dict.fromkeys([*answer.risk_flags, *rules.risk_flags]))
    if rules.intent == Intent.OPT_OUT and rules.confidence >= STRONG and answer.intent != Intent.OPT_OUT:
        return dataclasses.replace(rules, risk_flags=risk, engine_detail="rules opt-out overrode the llm")
    return dataclasses.replace(answer, risk_flags=risk)
