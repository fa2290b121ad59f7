"""The planner's frame and its per-intent handlers, on plain dataclasses (no database)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from inbox.choices import FollowUpStage, Intent, ReasonCode, ShowingState, TemplateKey, WorkflowOutcome
from inbox.engine import planner
from inbox.engine.base import Classification, DecisionContext
from inbox.engine.handlers import HANDLERS
from inbox.engine.planner import plan_reply
from tests.inbox import corpus_runner

TEMPLATES = corpus_runner.default_templates()


def context(**overrides: Any) -> DecisionContext:
    values: dict[str, Any] = {
        "text": "",
        "renter_name": "Sam Rivera",
        "facts": corpus_runner.FACTS,
        "find_slots": lambda: list(corpus_runner.OFFERED),
        "template": TEMPLATES.get,
    }
    return DecisionContext(**{**values, **overrides})


def reading(intent: str, *intents: str, **overrides: Any) -> Classification:
    return Classification(intent=intent, intents=(intent, *intents), confidence=0.9, **overrides)


def keys(plan: planner.Plan) -> list[str]:
    return [key for key, _version in plan.templates_used]


def test_every_intent_has_a_handler() -> None:
    assert set(HANDLERS) == set(Intent.values)


def test_the_services_names_stay_importable_from_the_planner() -> None:
    for name in ("Plan", "format_slots", "plan_reply", "template_context", "HUMAN_REASONS"):
        assert hasattr(planner, name), name
    assert planner.format_slots([{"label": "Tue"}, {"label": "Wed"}]) == "1) Tue\n2) Wed"


@pytest.mark.parametrize(
    ("intent", "outcome", "suppress"),
    [
        (Intent.OPT_OUT, WorkflowOutcome.OPTED_OUT, True),
        (Intent.NOT_INTERESTED, WorkflowOutcome.NOT_INTERESTED, True),
        (Intent.SPAM_SCAM, WorkflowOutcome.SPAM, False),
        (Intent.ABUSIVE, WorkflowOutcome.ENGAGED, False),
    ],
)
def test_silent_intent_gets_no_reply_stops_follow_ups_and_withdraws_the_offer(
    intent: str, outcome: str, suppress: bool
) -> None:
    ctx = context(
        workflow_outcome=WorkflowOutcome.ENGAGED,
        showing_state=ShowingState.OFFERED,
        offered_slots=corpus_runner.OFFERED,
    )

    plan = plan_reply(ctx, reading(intent))

    assert plan.reply_text == ""
    assert plan.templates_used == []
    assert plan.follow_up_stage == FollowUpStage.STOPPED
    assert plan.showing_state == ShowingState.NONE
    assert plan.workflow_outcome == outcome
    assert plan.suppress is suppress


def test_ambiguous_goodbye_answers_the_question_and_is_held() -> None:
    plan = plan_reply(context(), reading(Intent.NOT_INTERESTED, Intent.LEASE_TERMS, ambiguous=True))

    assert keys(plan)[:2] == [TemplateKey.OPENER, TemplateKey.LEASE_TERMS]
    assert ReasonCode.AMBIGUOUS in plan.reason_codes
    assert plan.workflow_outcome == WorkflowOutcome.ENGAGED
    assert not plan.suppress


def test_questions_are_answered_in_order_then_slots_then_the_move_in_question() -> None:
    plan = plan_reply(context(), reading(Intent.PRICE, Intent.PETS, Intent.APPLICATION))

    assert keys(plan) == [
        TemplateKey.OPENER,
        TemplateKey.PRICE,
        TemplateKey.PETS,
        TemplateKey.APPLICATION,
        TemplateKey.SHOWING_OFFER,
        TemplateKey.ASK_MOVE_IN,
        TemplateKey.SIGN_OFF,
    ]
    assert plan.showing_state == ShowingState.OFFERED
    assert plan.workflow_outcome == WorkflowOutcome.APPLICATION
    assert "$2,450" in plan.reply_text
    assert plan.reason_codes == []


def test_greeting_without_a_free_slot_just_says_hello() -> None:
    plan = plan_reply(context(find_slots=lambda: []), reading(Intent.GREETING))

    assert keys(plan) == [TemplateKey.GREETING, TemplateKey.ASK_MOVE_IN, TemplateKey.SIGN_OFF]
    assert plan.reason_codes == []
    assert plan.showing_state == ShowingState.NONE


def test_pick_of_an_offered_slot_books_it_and_qualifies_the_lead() -> None:
    ctx = context(showing_state=ShowingState.OFFERED, offered_slots=corpus_runner.OFFERED)

    plan = plan_reply(ctx, reading(Intent.PICK_SLOT, picked_slot=1))

    assert plan.book_slot == corpus_runner.OFFERED[1]
    assert plan.showing_state == ShowingState.BOOKED
    assert plan.workflow_outcome == WorkflowOutcome.QUALIFIED
    assert "120 Bedford Ave" in plan.reply_text


def test_unclear_pick_lists_the_offered_slots_again_and_holds() -> None:
    ctx = context(showing_state=ShowingState.OFFERED, offered_slots=corpus_runner.OFFERED)

    plan = plan_reply(ctx, reading(Intent.PICK_SLOT, picked_slot=7))

    assert plan.book_slot is None
    assert plan.offered_slots == list(corpus_runner.OFFERED)
    assert keys(plan) == [TemplateKey.SHOWING_PICK_UNCLEAR, TemplateKey.SIGN_OFF]
    assert ReasonCode.AMBIGUOUS in plan.reason_codes


def test_reschedule_of_a_booked_showing_offers_slots_again() -> None:
    plan = plan_reply(context(showing_state=ShowingState.BOOKED), reading(Intent.RESCHEDULE))

    assert plan.showing_state == ShowingState.RESCHEDULING
    assert keys(plan) == [TemplateKey.OPENER, TemplateKey.SHOWING_OFFER, TemplateKey.SIGN_OFF]


def test_unlinked_conversation_asks_which_listing_whatever_the_intent() -> None:
    plan = plan_reply(context(facts=None), reading(Intent.PRICE))

    assert keys(plan) == [TemplateKey.OPENER, TemplateKey.UNLINKED, TemplateKey.SIGN_OFF]
    assert ReasonCode.UNLINKED in plan.reason_codes


def test_llm_draft_fills_in_for_a_missing_template_and_is_held() -> None:
    templates = {key: value for key, value in TEMPLATES.items() if key != TemplateKey.PARKING}
    classification = dataclasses.replace(reading(Intent.PARKING), reply_suggestion=" There is a garage. ")

    plan = plan_reply(context(template=templates.get), classification)

    assert "There is a garage." in plan.reply_text
    assert {ReasonCode.NO_TEMPLATE, ReasonCode.LLM_DRAFT} <= set(plan.reason_codes)
    assert plan.human_required


def test_greeting_without_a_free_slot_and_no_no_slot_template_still_says_hello() -> None:
    # given: no free slot, and an admin deleted the ``no_slot`` template
    templates = {key: value for key, value in TEMPLATES.items() if key != TemplateKey.NO_SLOT}

    # when
    plan = plan_reply(context(find_slots=lambda: [], template=templates.get), reading(Intent.GREETING))

    # then: the greeting never needed the missing template, so nothing is lost or held
    assert keys(plan) == [TemplateKey.GREETING, TemplateKey.ASK_MOVE_IN, TemplateKey.SIGN_OFF]
    assert plan.reason_codes == []
    assert plan.reply_text.startswith("Hi Sam!")


@pytest.mark.parametrize(
    "missing",
    [
        {TemplateKey.NO_SLOT, TemplateKey.GREETING},
        {TemplateKey.NO_SLOT, TemplateKey.GREETING, TemplateKey.ASK_MOVE_IN, TemplateKey.SIGN_OFF},
    ],
)
def test_greeting_with_missing_templates_is_a_typed_hold_not_a_crash(missing: set[str]) -> None:
    templates = {key: value for key, value in TEMPLATES.items() if key not in missing}

    plan = plan_reply(context(find_slots=lambda: [], template=templates.get), reading(Intent.GREETING))

    assert ReasonCode.NO_TEMPLATE in plan.reason_codes
    assert plan.human_required
    assert not {key for key, _version in plan.templates_used} & missing


def test_showing_request_without_a_free_slot_and_no_no_slot_template_is_held() -> None:
    templates = {key: value for key, value in TEMPLATES.items() if key != TemplateKey.NO_SLOT}

    plan = plan_reply(context(find_slots=lambda: [], template=templates.get), reading(Intent.SHOWING_REQUEST))

    assert {ReasonCode.NO_SLOT, ReasonCode.NO_TEMPLATE} <= set(plan.reason_codes)
    assert plan.human_required
    assert plan.offered_slots == []
