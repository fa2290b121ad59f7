"""Turn a classification into a decision: states, reply text from templates, reason codes.

Deterministic whatever engine classified the message: the LLM may read the renter
better, but what the bot promises (facts, slots, states) always comes from here, from
the unit's real facts and the admins' templates.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from inbox.choices import FollowUpStage, Intent, ReasonCode, ShowingState, TemplateKey, WorkflowOutcome
from inbox.engine.base import SILENT_INTENTS, Classification, DecisionContext, ResolvedTemplate
from inbox.engine.rules import LOW_CONFIDENCE
from inbox.templating import render_template

#: The template that answers each informational intent.
INTENT_TEMPLATE: dict[str, str] = {
    Intent.AVAILABILITY: TemplateKey.AVAILABILITY,
    Intent.PRICE: TemplateKey.PRICE,
    Intent.APPLICATION: TemplateKey.APPLICATION,
    Intent.PETS: TemplateKey.PETS,
    Intent.PARKING: TemplateKey.PARKING,
    Intent.MOVE_IN_DATE: TemplateKey.MOVE_IN_DATE,
    Intent.LEASE_TERMS: TemplateKey.LEASE_TERMS,
}
INFORMATIONAL_ANSWERS = frozenset({*INTENT_TEMPLATE, Intent.SHOWING_REQUEST})
#: After these answers the bot also offers showing slots when none are offered or booked yet.
OFFER_AFTER = frozenset(
    {
        Intent.AVAILABILITY,
        Intent.PRICE,
        Intent.PETS,
        Intent.PARKING,
        Intent.MOVE_IN_DATE,
        Intent.LEASE_TERMS,
        Intent.GREETING,
    }
)
#: Reason codes that put the conversation in front of a human (the rest only hold one reply).
HUMAN_REASONS = frozenset(
    {
        ReasonCode.HIGH_RISK,
        ReasonCode.ABUSIVE,
        ReasonCode.AMBIGUOUS,
        ReasonCode.UNKNOWN_INTENT,
        ReasonCode.UNLINKED,
        ReasonCode.NO_SLOT,
        ReasonCode.NO_TEMPLATE,
        ReasonCode.MISSING_FACT,
        ReasonCode.LOW_CONFIDENCE,
        ReasonCode.SLOT_TAKEN,
        ReasonCode.WORKFLOW_REFUSED,
    }
)


@dataclasses.dataclass
class Plan:
    """The engine's full answer for one message, before the service applies it."""

    classification: Classification
    workflow_outcome: str
    showing_state: str
    follow_up_stage: str
    reply_text: str = ""
    templates_used: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    reason_codes: list[str] = dataclasses.field(default_factory=list)
    offered_slots: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    book_slot: dict[str, Any] | None = None
    cancel_booking: bool = False
    suppress: bool = False

    def hold(self, code: str) -> None:
        """Add a reason code once."""
        if code not in self.reason_codes:
            self.reason_codes.append(code)

    @property
    def human_required(self) -> bool:
        return any(code in HUMAN_REASONS for code in self.reason_codes)


def _first_name(name: str) -> str:
    parts = name.strip().split()
    return parts[0].capitalize() if parts and parts[0].isalpha() else "there"


def format_slots(slots: list[dict[str, Any]]) -> str:
    """Return the numbered lines renters answer with a number."""
    return "\n".join(f"{i}) {slot['label']}" for i, slot in enumerate(slots, 1))


def template_context(ctx: DecisionContext, profile: dict[str, Any]) -> dict[str, str]:
    """Return every template variable's value for this conversation ('' where unknown)."""
    values: dict[str, str] = {
        "renter_name": ctx.renter_name.strip() or "there",
        "first_name": _first_name(ctx.renter_name),
        "move_in_date": str(profile.get("move_in_date", "")),
        "pets_mentioned": "" if profile.get("pets") in (None, "none") else str(profile.get("pets", "")),
    }
    if ctx.facts is not None:
        values.update(
            {f.name: getattr(ctx.facts, f.name) for f in dataclasses.fields(ctx.facts) if f.name != "booked_address"}
        )
    if ctx.booked_slot:
        values["slot"] = ctx.booked_slot.get("label", "")
    return values


class _Writer:
    """Collect template parts into one reply, remembering which templates (and versions) wrote it."""

    def __init__(self, ctx: DecisionContext, plan: Plan, values: dict[str, str]) -> None:
        self.ctx, self.plan, self.values = ctx, plan, values
        self.parts: list[str] = []

    def add(self, key: str, **extra: str) -> bool:
        template: ResolvedTemplate | None = self.ctx.template(key)
        if template is None:
            self.plan.hold(ReasonCode.NO_TEMPLATE)
            return False
        text, missing = render_template(template.body, {**self.values, **extra})
        if missing:
            self.plan.hold(ReasonCode.MISSING_FACT)
        if not template.auto_send:
            self.plan.hold(ReasonCode.TEMPLATE_REVIEW)
        self.plan.templates_used.append((template.key, template.version))
        if text:
            self.parts.append(text)
        return True

    def text(self) -> str:
        return "\n\n".join(part for part in self.parts if part)


def _offer(writer: _Writer, plan: Plan, ctx: DecisionContext, *, key: str = TemplateKey.SHOWING_OFFER) -> None:
    slots = list(ctx.find_slots())
    if slots:
        plan.offered_slots = slots
        plan.showing_state = (
            ShowingState.RESCHEDULING if ctx.showing_state == ShowingState.BOOKED else ShowingState.OFFERED
        )
        writer.add(key, slots=format_slots(slots))
    else:
        plan.hold(ReasonCode.NO_SLOT)
        writer.add(TemplateKey.NO_SLOT)


def plan_reply(ctx: DecisionContext, classification: Classification) -> Plan:
    """Return the plan for one classified message."""
    intent = classification.intent
    profile = {**ctx.lead_profile, **classification.extracted}
    plan = Plan(
        classification=classification,
        workflow_outcome=ctx.workflow_outcome,
        showing_state=ctx.showing_state,
        # A renter's message stops the follow-up ladder; the next reply starts it again.
        follow_up_stage=FollowUpStage.NONE,
    )
    if intent in SILENT_INTENTS and not classification.ambiguous:
        plan.follow_up_stage = FollowUpStage.STOPPED
        if intent == Intent.OPT_OUT:
            plan.workflow_outcome, plan.suppress = WorkflowOutcome.OPTED_OUT, True
            plan.hold(ReasonCode.OPT_OUT)
        elif intent == Intent.NOT_INTERESTED:
            plan.workflow_outcome, plan.suppress = WorkflowOutcome.NOT_INTERESTED, True
            plan.hold(ReasonCode.OPT_OUT)
        elif intent == Intent.SPAM_SCAM:
            plan.workflow_outcome = WorkflowOutcome.SPAM
        else:
            plan.hold(ReasonCode.ABUSIVE)
        if ctx.showing_state in {ShowingState.OFFERED, ShowingState.RESCHEDULING}:
            plan.showing_state = ShowingState.NONE if ctx.showing_state == ShowingState.OFFERED else ShowingState.BOOKED
        return plan

    if intent in SILENT_INTENTS:
        # Ambiguous goodbye ("not interested in 12 months, is month-to-month ok?"): answer the question, held.
        intent = next((i for i in classification.intents if i in INFORMATIONAL_ANSWERS), Intent.UNKNOWN)
        classification = dataclasses.replace(classification, intent=intent)
    if ctx.workflow_outcome in {
        WorkflowOutcome.NEW,
        WorkflowOutcome.CLOSED,
        WorkflowOutcome.NOT_INTERESTED,
        WorkflowOutcome.SPAM,
    }:
        # A new message on a quiet (or misjudged) conversation brings it back to life.
        plan.workflow_outcome = WorkflowOutcome.ENGAGED
    writer = _Writer(ctx, plan, template_context(ctx, profile))
    if classification.risk_flags:
        plan.hold(ReasonCode.HIGH_RISK)
    if classification.ambiguous:
        plan.hold(ReasonCode.AMBIGUOUS)
    if classification.confidence < LOW_CONFIDENCE and intent != Intent.UNKNOWN:
        plan.hold(ReasonCode.LOW_CONFIDENCE)

    if ctx.facts is None and intent not in {Intent.OFF_TOPIC}:
        plan.hold(ReasonCode.UNLINKED)
        writer.add(TemplateKey.OPENER)
        writer.add(TemplateKey.UNLINKED)
        writer.add(TemplateKey.SIGN_OFF)
        plan.reply_text = writer.text()
        return plan

    if intent == Intent.UNKNOWN:
        plan.hold(ReasonCode.UNKNOWN_INTENT)
        writer.add(TemplateKey.OPENER)
        writer.add(TemplateKey.UNKNOWN)
    elif intent == Intent.OFF_TOPIC:
        writer.add(TemplateKey.OFF_TOPIC)
    elif intent == Intent.GREETING:
        writer.add(TemplateKey.GREETING)
        if ctx.showing_state in {ShowingState.NONE, ShowingState.CANCELLED}:
            _offer(writer, plan, ctx)
            if ReasonCode.NO_SLOT in plan.reason_codes:
                # A greeting needs no slot: say hello and let the renter ask.
                plan.reason_codes.remove(ReasonCode.NO_SLOT)
                writer.parts.pop()
                plan.templates_used.pop()
    elif intent == Intent.CANCEL_SHOWING:
        plan.cancel_booking = True
        plan.showing_state = ShowingState.CANCELLED
        writer.add(TemplateKey.SHOWING_CANCELLED)
    elif intent == Intent.PICK_SLOT:
        if classification.picked_slot is not None and 0 <= classification.picked_slot < len(ctx.offered_slots):
            plan.book_slot = ctx.offered_slots[classification.picked_slot]
            plan.showing_state = ShowingState.BOOKED
            if plan.workflow_outcome in {WorkflowOutcome.NEW, WorkflowOutcome.ENGAGED}:
                plan.workflow_outcome = WorkflowOutcome.QUALIFIED
            writer.add(
                TemplateKey.SHOWING_CONFIRMED,
                slot=plan.book_slot.get("label", ""),
                address=ctx.facts.booked_address if ctx.facts is not None else "",
            )
        else:
            plan.hold(ReasonCode.AMBIGUOUS)
            plan.offered_slots = list(ctx.offered_slots)
            writer.add(TemplateKey.SHOWING_PICK_UNCLEAR, slots=format_slots(list(ctx.offered_slots)))
    elif intent in {Intent.SHOWING_REQUEST, Intent.RESCHEDULE}:
        if ctx.showing_state == ShowingState.BOOKED and intent == Intent.SHOWING_REQUEST:
            writer.add(TemplateKey.SHOWING_CONFIRMED, address=ctx.facts.booked_address if ctx.facts is not None else "")
        else:
            writer.add(TemplateKey.OPENER)
            _offer(writer, plan, ctx)
    if intent in INTENT_TEMPLATE or intent in {Intent.SHOWING_REQUEST, Intent.GREETING}:
        answered = 0
        for extra in classification.intents:
            if extra in INTENT_TEMPLATE:
                if answered == 0 and intent in INTENT_TEMPLATE:
                    writer.add(TemplateKey.OPENER)
                writer.add(INTENT_TEMPLATE[extra])
                answered += 1
                if extra == Intent.APPLICATION and ctx.facts is not None and ctx.facts.application_url:
                    plan.workflow_outcome = WorkflowOutcome.APPLICATION
        if (
            intent in INTENT_TEMPLATE
            and intent in OFFER_AFTER
            and Intent.SHOWING_REQUEST not in classification.intents
            and ctx.showing_state in {ShowingState.NONE, ShowingState.CANCELLED}
        ):
            slots = list(ctx.find_slots())
            if slots:
                plan.offered_slots = slots
                plan.showing_state = ShowingState.OFFERED
                writer.add(TemplateKey.SHOWING_OFFER, slots=format_slots(slots))
        if not profile.get("move_in_date") and intent != Intent.MOVE_IN_DATE:
            writer.add(TemplateKey.ASK_MOVE_IN)
    if classification.reply_suggestion and ReasonCode.NO_TEMPLATE in plan.reason_codes:
        writer.parts.append(classification.reply_suggestion.strip())
        plan.hold(ReasonCode.LLM_DRAFT)
    if writer.parts:
        writer.add(TemplateKey.SIGN_OFF)
    plan.reply_text = writer.text()
    return plan
