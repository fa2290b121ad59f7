"""A showing's whole life, with time frozen: offered, booked, confirmed, reminded, completed or missed, then next steps.

The renter's side goes through ``inbound_decide`` (the engine reads confirmations, cancellations,
"sorry I missed it", "thanks for the tour"); the bot's own steps through the sweep
``showings_due``; the agent's through the API. Time is moved with ``time_machine``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from inbox.choices import ShowingState, ShowingStatus, WorkflowOutcome
from inbox.models import Conversation, Decision, OutboundMessage, Showing
from inbox.services import inbound_decide, showing_mark_outcome, showing_steps_report, showings_due
from inbox.slots import find_slots
from leasebot.core.exceptions import ValidationFailed
from platforms.roles import account_grant
from tests.inbox.conftest import MONDAY_0800_NY, World
from tests.inbox.factories import RuleFactory

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(MONDAY_0800_NY, tick=False) as traveller:
        yield traveller


def _say(world: World, conversation: Conversation, body: str) -> Decision:
    decision = inbound_decide(message_id=world.inbound(body, conversation=conversation).pk)
    assert decision is not None
    return decision


def _sent_all() -> None:
    """What the bot queued has left (the send job is tested elsewhere)."""
    OutboundMessage.objects.filter(status="queued").update(status="sent", sent_at=dt.datetime.now(dt.UTC))


def _book_an_afternoon_two_days_ahead(world: World, conversation: Conversation) -> Showing:
    offer = _say(world, conversation, "Hi, can I come see the apartment?")
    now = dt.datetime.now(dt.UTC)
    choice = next(
        i
        for i, slot in enumerate(offer.offered_slots)
        if dt.datetime.fromisoformat(slot["starts_at"]) - now > dt.timedelta(hours=48)
        and dt.datetime.fromisoformat(slot["local_start"]).hour >= 12
    )
    picked = _say(world, conversation, f"{choice + 1} please")
    assert picked.intent == "pick_slot"
    _sent_all()
    return Showing.objects.get(conversation=conversation, status=ShowingStatus.BOOKED)


def _step(purpose: str) -> OutboundMessage:
    return OutboundMessage.objects.filter(purpose=purpose).latest("pk")


def test_booked_confirmed_reminded_completed_then_the_application_and_one_nudge(
    world: World, auto_send: None, clock: time_machine.Coordinates
) -> None:
    conversation = world.conversation()
    showing = _book_an_afternoon_two_days_ahead(world, conversation)
    starts = showing.starts_at

    # Nothing is due two days ahead.
    assert showings_due() == 0

    # The day before: the renter is asked to confirm, once.
    clock.move_to(starts - dt.timedelta(hours=24) + dt.timedelta(minutes=1))
    assert showings_due() == 1
    assert showings_due() == 0
    ask = _step("confirmation")
    assert ask.dispatch_key == f"showing_confirmation_requested:{showing.pk}"
    assert ask.status == "queued"
    assert "are you still coming" in ask.body
    assert showing.source["label"] in ask.body
    _sent_all()

    # The renter confirms: noted, thanked, with the address.
    decision = _say(world, conversation, "Yes, I'll be there!")
    assert decision.intent == "confirm_showing"
    showing.refresh_from_db()
    assert showing.confirmed_at is not None
    assert "Thanks for confirming" in decision.reply_text
    assert world.unit.address in decision.reply_text
    _sent_all()

    # A few hours before: the reminder, once.
    clock.move_to(starts - dt.timedelta(hours=3) + dt.timedelta(minutes=1))
    assert showings_due() == 1
    assert showings_due() == 0
    reminder = _step("reminder")
    assert "a reminder that your showing" in reminder.body
    assert world.unit.address in reminder.body
    _sent_all()

    # The agent cannot mark it before it starts: a clear refusal.
    with pytest.raises(ValidationFailed, match="once it has started"):
        showing_mark_outcome(showing_id=showing.pk, outcome="completed", actor=world.agent)

    # After it: the agent marks it completed; the application link follows at the next sweep.
    clock.move_to(starts + dt.timedelta(minutes=45))
    showing_mark_outcome(showing_id=showing.pk, outcome="completed", actor=world.agent)
    conversation.refresh_from_db()
    assert conversation.showing_state == ShowingState.COMPLETED
    assert showings_due() == 1
    application = _step("after_showing")
    assert world.unit.application_url in application.body
    conversation.refresh_from_db()
    assert conversation.workflow_outcome == WorkflowOutcome.APPLICATION
    _sent_all()

    # Two days of silence: one nudge, never a second.
    clock.shift(dt.timedelta(hours=47))
    assert showings_due() == 0
    clock.shift(dt.timedelta(hours=2))
    assert showings_due() == 1
    assert "checking in after your showing" in _step("after_showing").body
    clock.shift(dt.timedelta(days=5))
    assert showings_due() == 0

    report = showing_steps_report()
    assert report["booked"] == 1
    assert report["confirmation_requested"] == report["confirmed"] == report["reminded"] == 1
    assert report["completed"] == report["application_sent"] == report["application_nudged"] == 1
    assert report["no_show"] == 0


def test_a_no_show_gets_new_times_from_the_agents_real_availability_and_can_book_one(
    world: World, auto_send: None, clock: time_machine.Coordinates, agent_client: Any, agent_user: Any
) -> None:
    conversation = world.conversation()
    showing = _book_an_afternoon_two_days_ahead(world, conversation)
    account_grant(user=agent_user, account=conversation.account)
    url = f"/api/v1/conversations/{conversation.pk}/showing-outcome/"

    # Before the showing: the API refuses with a reason, not a 5xx.
    early = agent_client.post(url, {"showing": showing.pk, "outcome": "no_show"}, format="json")
    assert early.status_code == 400
    assert "once it has started" in early.json()["detail"]
    assert agent_client.post(url, {"showing": showing.pk, "outcome": "maybe"}, format="json").status_code == 400

    # The agent is away the whole next day: no new time may fall on it.
    after = showing.starts_at + dt.timedelta(hours=1)
    away = (after.astimezone(NY) + dt.timedelta(days=1)).date()
    RuleFactory(
        agent=world.agent, kind="block", weekday=None, date=away, start_time=dt.time(0), end_time=dt.time(23, 59)
    )

    clock.move_to(after)
    marked = agent_client.post(url, {"showing": showing.pk, "outcome": "no_show"}, format="json")
    assert marked.status_code == 200
    assert marked.json()["status"] == "no_show"
    assert marked.json()["outcome_by"] == "agent"

    assert showings_due() == 1
    assert showings_due() == 0
    follow = _step("after_showing")
    assert "Sorry we missed each other" in follow.body
    showing.refresh_from_db()
    offered = showing.no_show_offer
    assert offered
    assert all(dt.datetime.fromisoformat(s["local_start"]).date() != away for s in offered)
    assert [s["label"] for s in offered] == [s.label for s in find_slots(world.unit, now=after)]
    conversation.refresh_from_db()
    assert conversation.showing_state == ShowingState.OFFERED
    _sent_all()

    # The renter picks one of the new times: booked again.
    again = _say(world, conversation, "2")
    assert again.intent == "pick_slot"
    rebooked = Showing.objects.get(conversation=conversation, status=ShowingStatus.BOOKED)
    assert rebooked.starts_at == dt.datetime.fromisoformat(offered[1]["starts_at"])
    assert showing_steps_report()["no_show_offered_new_times"] == 1


def test_the_renter_says_they_missed_it_and_gets_new_times_once(
    world: World, auto_send: None, clock: time_machine.Coordinates
) -> None:
    conversation = world.conversation()
    showing = _book_an_afternoon_two_days_ahead(world, conversation)
    clock.move_to(showing.starts_at + dt.timedelta(hours=2))

    decision = _say(world, conversation, "So sorry, I couldn't make it today, I got stuck at work")

    assert decision.intent == "showing_missed"
    showing.refresh_from_db()
    assert (showing.status, showing.outcome_by) == (ShowingStatus.NO_SHOW, "renter")
    assert "Sorry we missed each other" in decision.reply_text
    conversation.refresh_from_db()
    assert conversation.showing_state == ShowingState.OFFERED
    assert showings_due() == 0  # The reply was the follow-up: nothing sent twice.


def test_the_renter_thanks_for_the_tour_and_gets_the_application_once(
    world: World, auto_send: None, clock: time_machine.Coordinates
) -> None:
    conversation = world.conversation()
    showing = _book_an_afternoon_two_days_ahead(world, conversation)
    clock.move_to(showing.starts_at + dt.timedelta(hours=1))

    decision = _say(world, conversation, "Thanks for the showing, I really like the place!")

    assert decision.intent == "showing_attended"
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.COMPLETED
    assert world.unit.application_url in decision.reply_text
    assert showings_due() == 0  # The application link went with the reply.


def test_before_the_showing_can_t_make_it_cancels_and_no_reminder_follows(
    world: World, auto_send: None, clock: time_machine.Coordinates
) -> None:
    conversation = world.conversation()
    showing = _book_an_afternoon_two_days_ahead(world, conversation)
    clock.move_to(showing.starts_at - dt.timedelta(hours=24) + dt.timedelta(minutes=1))
    assert showings_due() == 1
    _sent_all()

    decision = _say(world, conversation, "Sorry, I need to cancel the showing")

    assert decision.intent == "cancel_showing"
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.CANCELLED
    clock.move_to(showing.starts_at - dt.timedelta(hours=2))
    assert showings_due() == 0


def test_a_reminder_due_in_quiet_hours_waits_for_their_end(
    world: World, auto_send: None, clock: time_machine.Coordinates
) -> None:
    # A 10:00 showing: three hours before is 07:00, inside the default quiet hours (21:00-08:00).
    conversation = world.conversation()
    offer = _say(world, conversation, "Can I come see it?")
    choice = next(
        i
        for i, slot in enumerate(offer.offered_slots)
        if dt.datetime.fromisoformat(slot["local_start"]).hour == 10
        and dt.datetime.fromisoformat(slot["starts_at"]) - MONDAY_0800_NY > dt.timedelta(hours=24)
    )
    _say(world, conversation, str(choice + 1))
    showing = Showing.objects.get(conversation=conversation, status=ShowingStatus.BOOKED)
    Showing.objects.filter(pk=showing.pk).update(confirmation_requested_at=MONDAY_0800_NY)

    clock.move_to(showing.starts_at - dt.timedelta(hours=3) + dt.timedelta(minutes=1))  # 07:01 New York
    assert showings_due() == 0
    clock.move_to(showing.starts_at - dt.timedelta(hours=2))  # 08:00 New York: the window is over.
    assert showings_due() == 1
    assert _step("reminder").created_at.astimezone(NY).hour == 8


def test_no_step_is_sent_while_an_agent_owns_the_conversation(
    world: World, auto_send: None, clock: time_machine.Coordinates
) -> None:
    conversation = world.conversation()
    showing = _book_an_afternoon_two_days_ahead(world, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(taken_over_by=world.agent)
    clock.move_to(showing.starts_at - dt.timedelta(hours=23))
    assert showings_due() == 0
    assert not OutboundMessage.objects.filter(purpose__in=["confirmation", "reminder"]).exists()
