"""The lead panel over the API: qualification edits, the follow-up pause, and showings booked, moved, cancelled, marked.

Time is frozen on a Monday at 08:00 in New York (``MONDAY_0800_NY``); the unit shows 10:00-18:00 and its
agent works 09:00-17:00, New York time. Every stale action (the page saw something that has changed
since) is a 409 with a reason; every bad input a 400; nothing here answers 5xx.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.choices import FollowUpStage, ShowingState, ShowingStatus
from inbox.models import AvailabilityRule, Conversation, OutboundMessage, Showing
from inbox.services import followups_due, showings_due
from leasebot.core.models import AuditLog
from platforms.roles import account_grant
from tests.inbox.conftest import MONDAY_0800_NY, World
from tests.inbox.factories import RuleFactory, assigned_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(MONDAY_0800_NY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def conv(world: World, agent_user: Any, clock: time_machine.Coordinates) -> Conversation:
    conversation = world.conversation(unit=world.unit, listing=world.unit.listing, renter_name="Ida")
    account_grant(user=agent_user, account=conversation.account)
    return conversation


def _url(conversation: Conversation, action: str) -> str:
    return f"/api/v1/conversations/{conversation.pk}/{action}/"


def _slots(client: Any, conversation: Conversation) -> list[dict[str, Any]]:
    answer = client.get(_url(conversation, "slots"))
    assert answer.status_code == 200, answer.content
    return list(answer.json())


def _book(client: Any, conversation: Conversation, slot: dict[str, Any]) -> Any:
    return client.post(
        _url(conversation, "book-showing"), {"starts_at": slot["starts_at"], "agent": slot["agent"]}, format="json"
    )


# --- Slots and booking ---


def test_slots_name_the_agent_and_zone_and_mark_what_the_bot_offered(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    slots = _slots(agent_client, conv)

    assert 1 <= len(slots) <= 12
    first = slots[0]
    assert first["timezone"] == world.unit.timezone
    assert first["agent"] == world.agent.pk
    assert first["agent_name"] == world.agent.username
    assert first["slot_label"].startswith("Mon Jan 11, 10:")  # The unit's local time, as the renter reads it.
    assert not any(s["offered"] for s in slots)

    # The bot offers times: the same times are marked in the panel.
    conv.decisions.create(
        message=world.inbound("Can I see it?", conversation=conv),
        engine="rules",
        intent="schedule_showing",
        offered_slots=[{"starts_at": first["starts_at"].replace("Z", "+00:00"), "agent_id": world.agent.pk}],
    )
    assert _slots(agent_client, conv)[0]["offered"] is True


def test_slots_cost_the_same_queries_however_many_agents_and_times(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    _slots(agent_client, conv)  # The first request of a client also reads its role once.
    with CaptureQueriesContext(connection) as one_agent:
        few = _slots(agent_client, conv)
    # A second agent takes the afternoons: two agents' times, the same number of queries.
    AvailabilityRule.objects.filter(agent=world.agent).update(end_time=dt.time(12))
    other = assigned_agent(world.unit, primary=False)
    for weekday in range(7):
        RuleFactory(agent=other, weekday=weekday, start_time=dt.time(15), end_time=dt.time(20))
    with CaptureQueriesContext(connection) as two_agents:
        more = _slots(agent_client, conv)

    assert {s["agent"] for s in more} == {world.agent.pk, other.pk}
    assert len(few) == len(more) == 12
    assert len(two_agents.captured_queries) == len(one_agent.captured_queries)


def test_slots_are_empty_without_a_unit(world: World, agent_client: Any, agent_user: Any) -> None:
    conversation = world.conversation()
    account_grant(user=agent_user, account=conversation.account)
    assert _slots(agent_client, conversation) == []
    answer = agent_client.post(
        _url(conversation, "book-showing"),
        {"starts_at": "2027-01-12T15:00:00Z", "agent": world.agent.pk},
        format="json",
    )
    assert answer.status_code == 400
    assert "link the conversation to a unit first" in answer.json()["detail"]


def test_book_a_free_time_then_a_stale_second_booking_is_refused(
    world: World, conv: Conversation, agent_client: Any, agent_user: Any
) -> None:
    slot = _slots(agent_client, conv)[1]

    booked = _book(agent_client, conv, slot)

    assert booked.status_code == 201, booked.content
    body = booked.json()
    assert (body["status"], body["agent"]) == ("booked", world.agent.username)
    conv.refresh_from_db()
    assert conv.showing_state == ShowingState.BOOKED
    audit = AuditLog.objects.get(action="showing.book", object_id=str(body["id"]))
    assert audit.actor_label == agent_user.username

    # The same time again (a double click) is the same showing; a page that still showed no
    # showing books another time: refused, the first booking stays.
    twice = _book(agent_client, conv, slot)
    assert (twice.status_code, twice.json()["id"]) == (201, body["id"])
    again = _book(agent_client, conv, _slots(agent_client, conv)[0])
    assert again.status_code == 409
    assert "already booked" in again.json()["detail"]
    assert Showing.objects.filter(conversation=conv, status=ShowingStatus.BOOKED).count() == 1


def test_a_time_that_is_not_free_is_refused_with_its_reason(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    night = {"starts_at": "2027-01-12T05:00:00Z", "agent": world.agent.pk}  # Midnight in New York.
    refused = agent_client.post(_url(conv, "book-showing"), night, format="json")
    assert refused.status_code == 409
    assert "no longer available" in refused.json()["detail"]
    stranger = {"starts_at": _slots(agent_client, conv)[0]["starts_at"], "agent": 987654}
    assert agent_client.post(_url(conv, "book-showing"), stranger, format="json").status_code == 409
    assert not Showing.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"starts_at": "tomorrow at ten", "agent": 1},
        {"starts_at": "2027-01-12T15:00:00Z"},
        {"starts_at": "2027-01-12T15:00:00Z", "agent": "bob"},
        {"starts_at": "2027-01-12T15:00:00Z", "agent": 0},
        {"starts_at": ["2027-01-12T15:00:00Z"], "agent": 1},
    ],
)
def test_booking_bad_input_is_a_400(conv: Conversation, agent_client: Any, body: dict[str, Any]) -> None:
    answer = agent_client.post(_url(conv, "book-showing"), body, format="json")
    assert answer.status_code == 400, answer.content


@pytest.mark.parametrize(
    ("starts_at", "reason"),
    [
        ("9999-12-31T23:59:59Z", "within a year"),
        ("9999-12-31T23:59:59-14:00", "out of range"),
        ("0001-01-01T00:00:00Z", "in the past"),
        ("0001-01-01T00:00:00+14:00", "out of range"),
        ("2028-01-12T15:00:00Z", "within a year"),  # a year and a day after the frozen Monday
        ("2027-01-10T12:00:00Z", "in the past"),  # a day and some before it
    ],
)
@pytest.mark.parametrize("action", ["book-showing", "reschedule-showing"])
def test_a_start_far_out_of_range_is_a_400_with_its_reason(
    world: World, conv: Conversation, agent_client: Any, action: str, starts_at: str, reason: str
) -> None:
    # The far ends of the calendar overflowed turning into the unit's zone or adding the showing's
    # length (a 500); a time outside the horizon can never be a free slot anyway.
    body = {"starts_at": starts_at, "agent": world.agent.pk, "showing": 1}
    answer = agent_client.post(_url(conv, action), body, format="json")
    assert answer.status_code == 400, answer.content
    assert reason in str(answer.json()["starts_at"])
    assert not Showing.objects.exists()


def test_a_time_that_just_passed_is_still_a_409_not_a_400(world: World, conv: Conversation, agent_client: Any) -> None:
    # A page that loaded a time an hour ago: the slot is gone, which is the 409's reason, not bad input.
    hour_ago = {"starts_at": "2027-01-11T12:00:00Z", "agent": world.agent.pk}
    assert agent_client.post(_url(conv, "book-showing"), hour_ago, format="json").status_code == 409


def test_two_renters_on_one_agents_time_the_second_gets_a_readable_409(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    other = world.conversation(unit=world.unit, listing=world.unit.listing, renter_name="Jo", account=conv.account)
    slot = _slots(agent_client, conv)[0]
    assert _book(agent_client, conv, slot).status_code == 201

    taken = _book(agent_client, other, slot)

    assert taken.status_code == 409
    assert "no longer available" in taken.json()["detail"]


def test_the_databases_double_booking_refusal_becomes_a_409_with_a_reason(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    # given: a booking, and the service's own check switched off (a path that skips it)
    other = world.conversation(unit=world.unit, listing=world.unit.listing, renter_name="Jo", account=conv.account)
    slot = _slots(agent_client, conv)[0]
    assert _book(agent_client, conv, slot).status_code == 201

    # when: the same agent's time is booked again past the check
    with mock.patch("inbox.showings.slot_is_open", return_value=True):
        taken = _book(agent_client, other, slot)

    # then: the exclusion constraint refused it, and the answer says why
    assert taken.status_code == 409
    assert "double booking refused" in taken.json()["detail"]
    assert Showing.objects.filter(status=ShowingStatus.BOOKED).count() == 1


def test_reschedule_moves_the_showing_and_a_stale_reschedule_is_refused(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    slots = _slots(agent_client, conv)
    first = _book(agent_client, conv, slots[0]).json()
    later = slots[-1]

    moved = agent_client.post(
        _url(conv, "reschedule-showing"),
        {"showing": first["id"], "starts_at": later["starts_at"], "agent": later["agent"]},
        format="json",
    )

    assert moved.status_code == 200, moved.content
    assert moved.json()["id"] != first["id"]
    old = Showing.objects.get(pk=first["id"])
    assert (old.status, old.cancel_reason) == (ShowingStatus.CANCELLED, "rescheduled")
    # The page that still shows the first showing tries to move it again: it is no longer booked.
    stale = agent_client.post(
        _url(conv, "reschedule-showing"),
        {"showing": first["id"], "starts_at": slots[1]["starts_at"], "agent": slots[1]["agent"]},
        format="json",
    )
    assert stale.status_code == 409
    assert "no longer booked: it is cancelled (rescheduled)" in stale.json()["detail"]
    assert Showing.objects.get(status=ShowingStatus.BOOKED).pk == moved.json()["id"]


def test_cancel_then_a_stale_cancel_or_outcome_is_a_409_saying_what_happened(
    world: World, conv: Conversation, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    showing = _book(agent_client, conv, _slots(agent_client, conv)[0]).json()

    cancelled = agent_client.post(
        _url(conv, "cancel-showing"), {"showing": showing["id"], "reason": "renter called"}, format="json"
    )

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "renter called")
    conv.refresh_from_db()
    assert conv.showing_state == ShowingState.CANCELLED
    again = agent_client.post(_url(conv, "cancel-showing"), {"showing": showing["id"]}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"] == "the showing is no longer booked: it is cancelled (renter called)"
    # Without a reason, the showing keeps who cancelled it.
    other = world.conversation(unit=world.unit, listing=world.unit.listing, account=conv.account)
    theirs = _book(agent_client, other, _slots(agent_client, other)[0]).json()
    plain = agent_client.post(_url(other, "cancel-showing"), {"showing": theirs["id"]}, format="json")
    assert plain.json()["cancel_reason"] == "by bob-agent"
    clock.move_to(dt.datetime.fromisoformat(showing["starts_at"]) + dt.timedelta(minutes=40))
    outcome = agent_client.post(
        _url(conv, "showing-outcome"), {"showing": showing["id"], "outcome": "completed"}, format="json"
    )
    assert outcome.status_code == 409
    assert "it is cancelled (renter called), so it cannot be marked completed" in outcome.json()["detail"]


def test_showing_actions_name_only_this_conversations_showings(
    world: World, conv: Conversation, agent_client: Any
) -> None:
    other = world.conversation(unit=world.unit, listing=world.unit.listing, account=conv.account)
    theirs = _book(agent_client, other, _slots(agent_client, other)[0]).json()
    for action, body in (
        ("cancel-showing", {"showing": theirs["id"]}),
        ("showing-outcome", {"showing": theirs["id"], "outcome": "completed"}),
        ("reschedule-showing", {"showing": theirs["id"], "starts_at": theirs["starts_at"], "agent": world.agent.pk}),
    ):
        assert agent_client.post(_url(conv, action), body, format="json").status_code == 404, action
    assert agent_client.post(_url(conv, "cancel-showing"), {"showing": "x"}, format="json").status_code == 400
    assert Showing.objects.get(pk=theirs["id"]).status == ShowingStatus.BOOKED


def test_marked_completed_from_the_panel_the_application_link_follows(
    world: World, conv: Conversation, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    world.unit.application_url = "https://apply.example.com/unit"
    world.unit.save(update_fields=["application_url"])
    showing = _book(agent_client, conv, _slots(agent_client, conv)[0]).json()
    clock.move_to(dt.datetime.fromisoformat(showing["starts_at"]) + dt.timedelta(minutes=40))

    marked = agent_client.post(
        _url(conv, "showing-outcome"), {"showing": showing["id"], "outcome": "completed"}, format="json"
    )

    assert marked.status_code == 200
    assert showings_due() >= 1
    assert OutboundMessage.objects.filter(conversation=conv, dispatch_key=f"showing_application_sent:{showing['id']}")


# --- Qualification ---


def test_an_agent_corrects_the_qualification_and_it_is_audited(conv: Conversation, agent_client: Any) -> None:
    Conversation.objects.filter(pk=conv.pk).update(lead_profile={"budget": 1800, "pets": "a dog", "work": "nurse"})

    answer = agent_client.post(
        _url(conv, "qualification"),
        {
            "changes": {"budget": 2100, "move_in_date": "2027-03-01", "occupants": 2, "pets": None, "lease_months": 12},
            "seen": {"budget": 1800, "pets": "a dog"},
        },
        format="json",
    )

    assert answer.status_code == 200, answer.content
    profile = answer.json()["lead_profile"]
    assert profile == {
        "budget": 2100,
        "move_in_date": "2027-03-01",
        "occupants": 2,
        "lease_months": 12,
        "work": "nurse",
    }
    audit = AuditLog.objects.get(action="conversation.qualify", object_id=str(conv.pk))
    assert audit.actor_label == "bob-agent"
    assert audit.before == {
        "budget": 1800,
        "move_in_date": None,
        "occupants": None,
        "pets": "a dog",
        "lease_months": None,
    }
    assert audit.after["pets"] is None
    detail = agent_client.get(f"/api/v1/conversations/{conv.pk}/").json()
    assert detail["history"][0]["action"] == "conversation.qualify"


def test_a_stale_qualification_edit_is_a_409_naming_the_value_now(conv: Conversation, agent_client: Any) -> None:
    # The page showed no budget; the renter has since told one.
    Conversation.objects.filter(pk=conv.pk).update(lead_profile={"budget": 1950})

    answer = agent_client.post(_url(conv, "qualification"), {"changes": {"budget": 2000}, "seen": {}}, format="json")

    assert answer.status_code == 409
    assert answer.json()["detail"] == "the budget changed since the page was loaded: it is now 1950"
    assert answer.json()["field"] == "budget"
    conv.refresh_from_db()
    assert conv.lead_profile == {"budget": 1950}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"budget": -5}, "budget"),
        ({"budget": "a lot"}, "budget"),
        ({"occupants": 0}, "occupants"),
        ({"occupants": 2.5}, "occupants"),
        ({"lease_months": 600}, "lease_months"),
        ({"move_in_date": "next spring"}, "move_in_date"),
        ({"move_in_date": "2099-01-01"}, "move_in_date"),
        ({"pets": "a cat\nand a dog"}, "pets"),
        ({"pets": 3}, "pets"),
        ({"pets": "a cat\u202e"}, "pets"),
        ({"pets": ""}, "pets"),
        ({"income": 5000}, "income"),
    ],
)
def test_bad_qualification_answers_are_a_400_naming_the_field(
    conv: Conversation, agent_client: Any, changes: dict[str, Any], field: str
) -> None:
    answer = agent_client.post(_url(conv, "qualification"), {"changes": changes}, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["changes"]
    assert not AuditLog.objects.filter(action="conversation.qualify").exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"changes": {}}, {"changes": "budget=2000"}, {"changes": {"budget": 2000}, "seen": {"salary": 1}}],
)
def test_a_qualification_body_without_answers_is_a_400(
    conv: Conversation, agent_client: Any, body: dict[str, Any]
) -> None:
    assert agent_client.post(_url(conv, "qualification"), body, format="json").status_code == 400


# --- Follow-ups ---


def test_pause_stops_the_follow_up_sweep_and_resume_lets_it_go(
    world: World, conv: Conversation, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    due = MONDAY_0800_NY + dt.timedelta(hours=3)
    Conversation.objects.filter(pk=conv.pk).update(next_follow_up_at=due)
    detail = agent_client.get(f"/api/v1/conversations/{conv.pk}/").json()
    assert detail["next_follow_up_at"] is not None
    assert detail["follow_ups_paused_at"] is None

    paused = agent_client.post(_url(conv, "follow-ups"), {"paused": True}, format="json")

    assert paused.status_code == 200
    assert paused.json()["follow_ups_paused_by"] == "bob-agent"
    clock.move_to(due + dt.timedelta(hours=1))
    assert followups_due() == 0
    conv.refresh_from_db()
    assert conv.next_follow_up_at == due  # The schedule is kept for the resume.
    again = agent_client.post(_url(conv, "follow-ups"), {"paused": True}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"] == "follow-ups are already paused (by bob-agent)"

    resumed = agent_client.post(_url(conv, "follow-ups"), {"paused": False}, format="json")

    assert resumed.status_code == 200
    assert resumed.json()["follow_ups_paused_at"] is None
    assert followups_due() == 1
    conv.refresh_from_db()
    assert conv.follow_up_stage == FollowUpStage.FIRST
    assert agent_client.post(_url(conv, "follow-ups"), {"paused": False}, format="json").status_code == 409
    actions = list(
        AuditLog.objects.filter(object_id=str(conv.pk), action__startswith="conversation.follow_ups")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["conversation.follow_ups_pause", "conversation.follow_ups_resume"]


@pytest.mark.parametrize("body", [{}, {"paused": "perhaps"}, {"paused": None}])
def test_follow_ups_bad_input_is_a_400(conv: Conversation, agent_client: Any, body: dict[str, Any]) -> None:
    assert agent_client.post(_url(conv, "follow-ups"), body, format="json").status_code == 400
