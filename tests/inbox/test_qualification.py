"""Qualification as a conversation: one question per reply, only where the unit's rules need it, never twice.

Through ``inbound_decide`` over a linked unit (12-month minimum lease, a pets policy, and here an
occupancy limit of 3), turn after turn: what the renter says is remembered, what is missing is
asked once, and where the renter's plans differ from the unit's rules the reply says so as a
fact, never as a refusal.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from inbox.choices import TemplateKey
from inbox.engine.handlers import ASKED, QUALIFICATION
from inbox.guardrails import check_text
from inbox.models import Conversation, Decision, ReplyTemplate, Unit
from inbox.services import inbound_decide
from tests.inbox.conftest import MONDAY_0800_NY, World

pytestmark = pytest.mark.django_db

QUESTIONS = {template for _key, template, _needs, _topic in QUALIFICATION}


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(MONDAY_0800_NY, tick=False):
        yield


def _say(world: World, conversation: Conversation, body: str) -> Decision:
    decision = inbound_decide(message_id=world.inbound(body, conversation=conversation).pk)
    assert decision is not None
    return decision


def _asked(decision: Decision) -> list[str]:
    return [key for key, _version in decision.templates_used if key in QUESTIONS]


def test_questions_come_one_per_reply_are_remembered_and_never_asked_twice(world: World, auto_send: None) -> None:
    Unit.objects.filter(pk=world.unit.pk).update(max_occupants=3)
    conversation = world.conversation()

    first = _say(world, conversation, "Hi, is the apartment still available?")
    assert _asked(first) == [TemplateKey.ASK_MOVE_IN]

    # Not answered: the bot does not nag with the same question, it asks the next one.
    second = _say(world, conversation, "What's the rent?")
    assert _asked(second) == [TemplateKey.ASK_LEASE_LENGTH]

    # The renter answers several things at once; the differences from the unit's rules are stated as facts.
    third = _say(world, conversation, "We'd move in March 1st, 4 people, looking for a 6 month lease. Parking?")
    conversation.refresh_from_db()
    profile = conversation.lead_profile
    assert (profile["move_in_date"], profile["occupants"], profile["lease_months"]) == ("2027-03-01", 4, 6)
    used = [key for key, _version in third.templates_used]
    # The minimum lease is said once (here by the lease-terms answer the message asked for), the limit too.
    assert {TemplateKey.FIT_LEASE, TemplateKey.LEASE_TERMS} & set(used)
    assert "12 months" in third.reply_text
    assert TemplateKey.FIT_OCCUPANCY in used
    assert "up to 3 occupants" in third.reply_text
    assert _asked(third) == [TemplateKey.ASK_PETS]  # Occupants known: the next missing one.

    # Everything asked once: nothing more is asked, nothing re-asked.
    fourth = _say(world, conversation, "Is there laundry in the building? And what about the deposit?")
    assert _asked(fourth) == []
    conversation.refresh_from_db()
    assert conversation.lead_profile[ASKED] == ["move_in_date", "lease_months", "pets"]


def test_only_what_the_units_rules_need_is_asked(world: World, auto_send: None) -> None:
    # No minimum lease, no occupancy limit: after the move-in date only pets matter (the unit has a policy).
    Unit.objects.filter(pk=world.unit.pk).update(min_lease_months=None, max_occupants=None)
    conversation = world.conversation()

    assert _asked(_say(world, conversation, "Hello! Is it still available?")) == [TemplateKey.ASK_MOVE_IN]
    assert _asked(_say(world, conversation, "How much is the rent?")) == [TemplateKey.ASK_PETS]
    assert _asked(_say(world, conversation, "Is there parking?")) == []


def test_a_shorter_lease_than_the_minimum_is_stated_as_a_fact(world: World, auto_send: None) -> None:
    conversation = world.conversation(lead_profile={"move_in_date": "2027-03-01", "lease_months": 6})

    decision = _say(world, conversation, "Is parking included?")

    assert TemplateKey.FIT_LEASE in [key for key, _version in decision.templates_used]
    assert "minimum lease term here is 12 months" in decision.reply_text
    assert decision.reason_codes == []  # A fact, not a hold or a refusal.


def test_the_topic_the_renter_asks_about_is_answered_not_asked_back(world: World, auto_send: None) -> None:
    conversation = world.conversation(lead_profile={"move_in_date": "2027-03-01"})

    decision = _say(world, conversation, "How long is the lease?")

    assert TemplateKey.LEASE_TERMS in [key for key, _version in decision.templates_used]
    assert TemplateKey.ASK_LEASE_LENGTH not in _asked(decision)


def test_no_question_touches_a_protected_class(db: None) -> None:
    for template in ReplyTemplate.objects.filter(
        key__in=[*QUESTIONS, TemplateKey.FIT_LEASE, TemplateKey.FIT_OCCUPANCY]
    ):
        verdict = check_text(template.body)
        assert verdict.ok, (template.key, verdict.categories)
    assert {key for key, *_rest in QUALIFICATION} == {"move_in_date", "lease_months", "occupants", "pets"}
