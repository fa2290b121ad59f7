"""One handler per intent: what the bot decides and writes for each thing a renter may want.

``HANDLERS`` maps every intent to its handler; ``plan_reply`` (``inbox.engine.planner``) runs
the frame common to all of them (reviving the conversation, the hold rules, the sign-off). A
handler takes the context, the classification and the draft of the plan, and fills the draft:
states, reason codes and template parts, in the order the renter reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inbox.choices import Intent, ReasonCode, ShowingState, TemplateKey, WorkflowOutcome
from inbox.engine.base import Classification, DecisionContext
from inbox.engine.plan import Draft, format_slots, slot_label

#: What a handler is: it fills the draft for one classified message.
Handler = Callable[[DecisionContext, Classification, Draft], None]

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
#: Showing states in which nothing is offered or booked, so slots may be offered.
_NOTHING_OFFERED = frozenset({ShowingState.NONE, ShowingState.CANCELLED})


def _offer_slots(ctx: DecisionContext, draft: Draft, slots: list[dict[str, Any]]) -> None:
    """Offer these free slots (the showing state becomes ``rescheduling`` when one is booked)."""
    plan = draft.plan
    plan.offered_slots = slots
    plan.showing_state = ShowingState.RESCHEDULING if ctx.showing_state == ShowingState.BOOKED else ShowingState.OFFERED
    draft.add(TemplateKey.SHOWING_OFFER, slots=format_slots(slots, ctx.language))


def _offer(ctx: DecisionContext, draft: Draft) -> None:
    """Offer the free showing slots, or say none is free and hold (``no_slot``)."""
    slots = list(ctx.find_slots())
    if slots:
        _offer_slots(ctx, draft, slots)
    else:
        draft.plan.hold(ReasonCode.NO_SLOT)
        draft.add(TemplateKey.NO_SLOT)


def _answer_questions(ctx: DecisionContext, classification: Classification, draft: Draft, *, opener: bool) -> None:
    """Answer every informational intent of the message from its template, the opener first when asked."""
    answered = 0
    for extra in classification.intents:
        if extra in INTENT_TEMPLATE:
            if answered == 0 and opener:
                draft.add(TemplateKey.OPENER)
            draft.add(INTENT_TEMPLATE[extra])
            answered += 1
            if extra == Intent.APPLICATION and ctx.facts is not None and ctx.facts.application_url:
                draft.plan.workflow_outcome = WorkflowOutcome.APPLICATION


#: Qualification, in the order it is asked: (profile key, question, the unit fact that makes it needed, the
#: intent that already talks about it). Budget is remembered when a renter gives it but never asked: the
#: rent is stated, and no unit rule depends on it. Nothing here touches a protected class (no children,
#: age, income source, origin...): occupants is a count, asked only where an occupancy limit applies.
QUALIFICATION: tuple[tuple[str, str, str, str], ...] = (
    ("move_in_date", TemplateKey.ASK_MOVE_IN, "", Intent.MOVE_IN_DATE),
    ("lease_months", TemplateKey.ASK_LEASE_LENGTH, "min_lease_months", Intent.LEASE_TERMS),
    ("occupants", TemplateKey.ASK_OCCUPANTS, "max_occupants", ""),
    ("pets", TemplateKey.ASK_PETS, "pets_policy", Intent.PETS),
)
#: Where the lead profile remembers which questions were asked (each is asked once).
ASKED = "qualification_asked"


def _ask_move_in(classification: Classification, draft: Draft) -> None:
    """State what the renter's answers mean against the unit's rules, then ask the next missing question.

    One question per reply, each asked once (remembered in the lead profile), only where the
    unit's facts make it matter, never about what the renter is asking about right now.
    """
    _state_fit(draft)
    facts = draft.ctx.facts
    asked = list(draft.profile.get(ASKED) or [])
    for key, template, needs, topic in QUALIFICATION:
        if draft.profile.get(key) not in (None, "") or key in asked:
            continue
        if needs and (facts is None or not getattr(facts, needs)):
            continue
        if topic and topic in classification.intents:
            continue
        if draft.add(template):
            draft.plan.asked = key
        return


def _state_fit(draft: Draft) -> None:
    """Say, as facts, where what the renter told differs from the unit's rules (minimum lease, occupancy)."""
    facts, profile, used = draft.ctx.facts, draft.profile, {key for key, _ in draft.plan.templates_used}
    if facts is None:
        return
    wanted, minimum = profile.get("lease_months"), facts.min_lease_months
    if (
        isinstance(wanted, int)
        and minimum.isdigit()
        and wanted < int(minimum)
        and TemplateKey.LEASE_TERMS not in used
        and TemplateKey.FIT_LEASE not in used
    ):
        draft.add(TemplateKey.FIT_LEASE)
    people, limit = profile.get("occupants"), facts.max_occupants
    if isinstance(people, int) and limit.isdigit() and people > int(limit) and TemplateKey.FIT_OCCUPANCY not in used:
        draft.add(TemplateKey.FIT_OCCUPANCY)


# --- Silent intents: no reply (``plan_reply`` stops the follow-ups and withdraws an open offer) ---


def _opt_out(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """The renter asked to stop: never write again."""
    draft.plan.workflow_outcome, draft.plan.suppress = WorkflowOutcome.OPTED_OUT, True
    draft.plan.hold(ReasonCode.OPT_OUT)


def _not_interested(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """The renter has moved on: close the conversation and write no more."""
    draft.plan.workflow_outcome, draft.plan.suppress = WorkflowOutcome.NOT_INTERESTED, True
    draft.plan.hold(ReasonCode.OPT_OUT)


def _spam(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Spam or a scam: mark the conversation, answer nothing."""
    draft.plan.workflow_outcome = WorkflowOutcome.SPAM


def _abusive(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Abuse: answer nothing and put the conversation in front of a human."""
    draft.plan.hold(ReasonCode.ABUSIVE)


# --- Intents that get a reply ---


def _unknown(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Nothing recognised: a holding answer, for a human to review."""
    draft.plan.hold(ReasonCode.UNKNOWN_INTENT)
    draft.add(TemplateKey.OPENER)
    draft.add(TemplateKey.UNKNOWN)


def _off_topic(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Not about the rental: the off-topic template alone."""
    draft.add(TemplateKey.OFF_TOPIC)


def _greeting(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Hello back, slots when nothing is offered yet, answers to any question asked with it."""
    draft.add(TemplateKey.GREETING)
    if ctx.showing_state in _NOTHING_OFFERED:
        # A greeting needs no slot: with none free, say hello and let the renter ask (no ``no_slot``).
        slots = list(ctx.find_slots())
        if slots:
            _offer_slots(ctx, draft, slots)
    _answer_questions(ctx, classification, draft, opener=False)
    _ask_move_in(classification, draft)


def _cancel_showing(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Cancel the booked showing and confirm it."""
    draft.plan.cancel_booking = True
    draft.plan.showing_state = ShowingState.CANCELLED
    draft.add(TemplateKey.SHOWING_CANCELLED)


def _confirm_showing(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """The renter confirmed the booked showing: note it and thank them; answer anything asked with it."""
    draft.plan.confirm_showing = True
    draft.add(TemplateKey.SHOWING_CONFIRM_THANKS, address=ctx.facts.booked_address if ctx.facts is not None else "")
    _answer_questions(ctx, classification, draft, opener=False)


def _showing_missed(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """The renter missed the showing: mark it a no-show and offer new times (held when none is free)."""
    plan = draft.plan
    plan.showing_outcome = ShowingState.NO_SHOW
    plan.showing_state = ShowingState.NO_SHOW
    slots = list(ctx.find_slots())
    if slots:
        plan.offered_slots = slots
        plan.showing_state = ShowingState.OFFERED
        draft.add(TemplateKey.SHOWING_NO_SHOW, slots=format_slots(slots, ctx.language))
    else:
        plan.hold(ReasonCode.NO_SLOT)
        draft.add(TemplateKey.NO_SLOT)


def _showing_attended(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """The renter says the showing took place: mark it completed and send the application link."""
    plan = draft.plan
    plan.showing_outcome = ShowingState.COMPLETED
    plan.showing_state = ShowingState.COMPLETED
    draft.add(TemplateKey.SHOWING_APPLICATION)
    if ctx.facts is not None and ctx.facts.application_url:
        plan.workflow_outcome = WorkflowOutcome.APPLICATION
    _answer_questions(ctx, classification, draft, opener=False)


def _pick_slot(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Book the offered slot the renter picked, or list the slots again when the pick is unclear."""
    plan = draft.plan
    if classification.picked_slot is not None and 0 <= classification.picked_slot < len(ctx.offered_slots):
        plan.book_slot = ctx.offered_slots[classification.picked_slot]
        plan.showing_state = ShowingState.BOOKED
        if plan.workflow_outcome in {WorkflowOutcome.NEW, WorkflowOutcome.ENGAGED}:
            plan.workflow_outcome = WorkflowOutcome.QUALIFIED
        draft.add(
            TemplateKey.SHOWING_CONFIRMED,
            slot=slot_label(plan.book_slot, ctx.language),
            address=ctx.facts.booked_address if ctx.facts is not None else "",
        )
    else:
        plan.hold(ReasonCode.AMBIGUOUS)
        plan.offered_slots = list(ctx.offered_slots)
        draft.add(TemplateKey.SHOWING_PICK_UNCLEAR, slots=format_slots(list(ctx.offered_slots), ctx.language))


def _showing_request(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Confirm a booked showing again, or offer slots; then answer any question asked with it."""
    if ctx.showing_state == ShowingState.BOOKED:
        draft.add(TemplateKey.SHOWING_CONFIRMED, address=ctx.facts.booked_address if ctx.facts is not None else "")
    else:
        draft.add(TemplateKey.OPENER)
        _offer(ctx, draft)
    _answer_questions(ctx, classification, draft, opener=False)
    _ask_move_in(classification, draft)


def _reschedule(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """Offer slots again (the showing state becomes ``rescheduling`` when one is booked)."""
    draft.add(TemplateKey.OPENER)
    _offer(ctx, draft)


def _answer(ctx: DecisionContext, classification: Classification, draft: Draft) -> None:
    """An informational question: every question asked answered, then slots and the move-in question."""
    _answer_questions(ctx, classification, draft, opener=True)
    if (
        classification.intent in OFFER_AFTER
        and Intent.SHOWING_REQUEST not in classification.intents
        and ctx.showing_state in _NOTHING_OFFERED
    ):
        slots = list(ctx.find_slots())
        if slots:
            _offer_slots(ctx, draft, slots)
    _ask_move_in(classification, draft)


#: The handler of each intent.
HANDLERS: dict[str, Handler] = {
    Intent.OPT_OUT: _opt_out,
    Intent.NOT_INTERESTED: _not_interested,
    Intent.SPAM_SCAM: _spam,
    Intent.ABUSIVE: _abusive,
    Intent.UNKNOWN: _unknown,
    Intent.OFF_TOPIC: _off_topic,
    Intent.GREETING: _greeting,
    Intent.CANCEL_SHOWING: _cancel_showing,
    Intent.CONFIRM_SHOWING: _confirm_showing,
    Intent.SHOWING_MISSED: _showing_missed,
    Intent.SHOWING_ATTENDED: _showing_attended,
    Intent.PICK_SLOT: _pick_slot,
    Intent.SHOWING_REQUEST: _showing_request,
    Intent.RESCHEDULE: _reschedule,
    **dict.fromkeys(INTENT_TEMPLATE, _answer),
}
