"""Turn a classification into a decision: states, reply text from templates, reason codes.

Deterministic whatever engine classified the message: the LLM may read the renter
better, but what the bot promises (facts, slots, states) always comes from here, from
the unit's real facts and the admins' templates. ``plan_reply`` is the frame every message
goes through; what each intent adds is its handler's, in ``inbox.engine.handlers``.
"""

from __future__ import annotations

import dataclasses

from inbox.choices import FollowUpStage, Intent, Language, ReasonCode, ShowingState, TemplateKey, WorkflowOutcome
from inbox.engine.base import SILENT_INTENTS, Classification, DecisionContext
from inbox.engine.handlers import HANDLERS, INFORMATIONAL_ANSWERS, INTENT_TEMPLATE, OFFER_AFTER
from inbox.engine.plan import HUMAN_REASONS, Draft, Plan, format_slots, slot_label, template_context
from inbox.engine.rules import LOW_CONFIDENCE
from inbox.engine.safety import PAYMENT_PRESSURE

__all__ = [
    "HUMAN_REASONS",
    "INFORMATIONAL_ANSWERS",
    "INTENT_TEMPLATE",
    "OFFER_AFTER",
    "Plan",
    "format_slots",
    "plan_reply",
    "slot_label",
    "template_context",
]

#: Workflow outcomes a new message brings back to ``engaged``.
_REVIVED = frozenset(
    {WorkflowOutcome.NEW, WorkflowOutcome.CLOSED, WorkflowOutcome.NOT_INTERESTED, WorkflowOutcome.SPAM}
)


def plan_reply(ctx: DecisionContext, classification: Classification) -> Plan:
    """Return the plan for one classified message.

    A silent intent (opt-out, not interested, spam, abuse) gets no reply: its handler records
    why, the follow-ups stop and an open offer is withdrawn. Any other message revives the
    conversation, picks up the hold reasons every reply shares, and, when the conversation is
    linked to a unit, its intent's handler writes the answer; a sign-off closes any reply. A
    renter writing in a language the bot does not answer in (``ctx.language`` other) gets an
    English draft held for a person (reason ``language``); an opt-out in any language still stops.
    """
    plan = Plan(
        classification=classification,
        workflow_outcome=ctx.workflow_outcome,
        showing_state=ctx.showing_state,
        # A renter's message stops the follow-up ladder; the next reply starts it again.
        follow_up_stage=FollowUpStage.NONE,
    )
    if PAYMENT_PRESSURE in classification.risk_flags:
        # Money pushed upfront or off-platform: a person answers, and no slot is offered (even in the
        # draft) or booked ("the 2nd one, can I wire the deposit to hold it?").
        ctx = dataclasses.replace(ctx, find_slots=lambda: ())
        if classification.intent == Intent.PICK_SLOT:
            rest = tuple(i for i in classification.intents if i != Intent.PICK_SLOT) or (Intent.UNKNOWN,)
            classification = dataclasses.replace(classification, intent=rest[0], intents=rest, picked_slot=None)
    draft = Draft(ctx, plan, {**ctx.lead_profile, **classification.extracted})
    if classification.intent in SILENT_INTENTS:
        if not classification.ambiguous:
            plan.follow_up_stage = FollowUpStage.STOPPED
            HANDLERS[classification.intent](ctx, classification, draft)
            if PAYMENT_PRESSURE in classification.risk_flags:
                # A scam gets no reply, but a person sees it (and may warn the renter or the platform).
                plan.hold(ReasonCode.HIGH_RISK)
            if ctx.showing_state in {ShowingState.OFFERED, ShowingState.RESCHEDULING}:
                plan.showing_state = (
                    ShowingState.NONE if ctx.showing_state == ShowingState.OFFERED else ShowingState.BOOKED
                )
            return plan
        # Ambiguous goodbye ("not interested in 12 months, is month-to-month ok?"): answer the question, held.
        answerable = next((i for i in classification.intents if i in INFORMATIONAL_ANSWERS), Intent.UNKNOWN)
        classification = dataclasses.replace(classification, intent=answerable)
    intent = classification.intent
    if ctx.workflow_outcome in _REVIVED:
        # A new message on a quiet (or misjudged) conversation brings it back to life.
        plan.workflow_outcome = WorkflowOutcome.ENGAGED
    if ctx.language == Language.OTHER:
        # A language the bot does not write: a person answers (the English draft is only a start).
        plan.hold(ReasonCode.LANGUAGE)
    if classification.risk_flags:
        plan.hold(ReasonCode.HIGH_RISK)
    if classification.ambiguous:
        plan.hold(ReasonCode.AMBIGUOUS)
    if classification.confidence < LOW_CONFIDENCE and intent != Intent.UNKNOWN:
        plan.hold(ReasonCode.LOW_CONFIDENCE)

    if ctx.facts is None and intent != Intent.OFF_TOPIC:
        # No unit to quote from: ask which listing the renter means.
        plan.hold(ReasonCode.UNLINKED)
        draft.add(TemplateKey.OPENER)
        draft.add(TemplateKey.UNLINKED)
        draft.add(TemplateKey.SIGN_OFF)
        plan.reply_text = draft.text()
        return plan

    handler = HANDLERS.get(intent)
    if handler is not None:
        handler(ctx, classification, draft)
    if classification.reply_suggestion and ReasonCode.NO_TEMPLATE in plan.reason_codes:
        draft.parts.append(classification.reply_suggestion.strip())
        plan.hold(ReasonCode.LLM_DRAFT)
    if draft.parts:
        draft.add(TemplateKey.SIGN_OFF)
    plan.reply_text = draft.text()
    return plan
