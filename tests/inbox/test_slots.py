"""Showing slots: the intersection of unit windows, assignments and agent availability, in time zones."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import IntegrityError, connection, transaction

from inbox.exceptions import SlotUnavailable
from inbox.models import Showing, Unit
from inbox.showings import showing_book, showing_cancel
from inbox.slots import Slot, find_slots
from tests.inbox.factories import (
    AssignmentFactory,
    ConversationFactory,
    RuleFactory,
    ShowingFactory,
    UnitFactory,
    assigned_agent,
)
from tests.platforms.factories import AgentFactory

NY = zoneinfo.ZoneInfo("America/New_York")
# Sunday 2027-01-10 23:00 New York: the next days are Mon 11 .. Sun 17 January.
SUNDAY_NIGHT = dt.datetime(2027, 1, 10, 23, 0, tzinfo=NY)


def ny(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=NY)


def local_starts(slots: list[Slot]) -> list[tuple[int, int, int]]:
    return [(s.local_start.day, s.local_start.hour, s.local_start.minute) for s in slots]


@pytest.fixture
def unit(db):  # type: ignore[no-untyped-def]
    return UnitFactory(showing_duration_minutes=30, showing_buffer_minutes=15)


def test_find_slots_is_the_intersection_of_unit_and_agent_windows(unit) -> None:  # type: ignore[no-untyped-def]
    # given: the unit shows Mondays 10-12, the agent works Mondays 11-13
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(11), end_time=dt.time(13))

    # when
    slots = find_slots(unit, now=SUNDAY_NIGHT, limit=10)

    # then: only 11:00 and 11:30 on Monday
    assert local_starts(slots) == [(11, 11, 0), (11, 11, 30)]
    assert {s.agent_id for s in slots} == {agent.pk}
    source = slots[0].source
    assert source["unit_window"]["kind"] == "weekly"
    assert source["agent_window"]["kind"] == "weekly"
    assert source["assignment"]["is_primary"] is True


def test_find_slots_never_offers_an_unassigned_agents_free_time(unit) -> None:  # type: ignore[no-untyped-def]
    # given: a busy assigned agent and a free colleague who is not assigned to the unit
    assigned = assigned_agent(unit)
    free_colleague = AgentFactory()
    for weekday in range(7):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(9), end_time=dt.time(18))
        RuleFactory(agent=free_colleague, weekday=weekday, start_time=dt.time(9), end_time=dt.time(18))
    RuleFactory(agent=assigned, weekday=2, start_time=dt.time(15), end_time=dt.time(16))

    slots = find_slots(unit, now=SUNDAY_NIGHT, limit=10)

    assert local_starts(slots) == [(13, 15, 0), (13, 15, 30)]
    assert all(s.agent_id == assigned.pk for s in slots)


def test_find_slots_without_assignment_offers_nothing(unit) -> None:  # type: ignore[no-untyped-def]
    RuleFactory(unit=unit, weekday=0)

    assert find_slots(unit, now=SUNDAY_NIGHT) == []


def test_find_slots_agent_in_another_time_zone_is_converted(unit) -> None:  # type: ignore[no-untyped-def]
    # given: a Los Angeles agent working 9-11 LA time = 12-14 New York time
    agent = assigned_agent(unit, tz="America/Los_Angeles")
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(18))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(9), end_time=dt.time(11))

    slots = find_slots(unit, now=SUNDAY_NIGHT, limit=10)

    assert local_starts(slots) == [(11, 12, 0), (11, 12, 30), (11, 13, 0), (11, 13, 30)]
    assert slots[0].label == "Mon Jan 11, 12:00 PM"
    assert slots[0].source["agent_timezone"] == "America/Los_Angeles"


def test_find_slots_weekly_window_keeps_wall_clock_across_dst(unit) -> None:  # type: ignore[no-untyped-def]
    # given: Saturdays and Sundays 10:00-10:30; clocks spring forward on Sunday 2027-03-14
    agent = assigned_agent(unit)
    for weekday in (5, 6):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(10), end_time=dt.time(10, 30))
        RuleFactory(agent=agent, weekday=weekday, start_time=dt.time(10), end_time=dt.time(10, 30))

    slots = find_slots(unit, now=ny(12, 9, month=3), days=3)

    # then: both at 10:00 local, though the UTC hour differs (EST -5, EDT -4)
    assert local_starts(slots) == [(13, 10, 0), (14, 10, 0)]
    assert [s.starts_at.astimezone(dt.UTC).hour for s in slots] == [15, 14]


def test_find_slots_window_across_the_spring_forward_gap_loses_the_missing_hour(unit) -> None:  # type: ignore[no-untyped-def]
    agent = assigned_agent(unit)
    RuleFactory(
        unit=unit, kind="override", weekday=None, date=dt.date(2027, 3, 14), start_time=dt.time(1), end_time=dt.time(4)
    )
    RuleFactory(
        agent=agent,
        kind="override",
        weekday=None,
        date=dt.date(2027, 3, 14),
        start_time=dt.time(0),
        end_time=dt.time(5),
    )

    slots = find_slots(unit, now=ny(13, 12, month=3), days=2, limit=10)

    # 01:00-02:00 EST then 03:00-04:00 EDT: two real hours, four slots, none at 02:xx.
    assert local_starts(slots) == [(14, 1, 0), (14, 1, 30), (14, 3, 0), (14, 3, 30)]


def test_find_slots_dated_override_replaces_weekly_and_block_removes(unit) -> None:  # type: ignore[no-untyped-def]
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    RuleFactory(
        unit=unit,
        kind="override",
        weekday=None,
        date=dt.date(2027, 1, 11),
        start_time=dt.time(14),
        end_time=dt.time(16),
    )
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(9), end_time=dt.time(17))
    RuleFactory(
        agent=agent,
        kind="block",
        weekday=None,
        date=dt.date(2027, 1, 11),
        start_time=dt.time(14, 30),
        end_time=dt.time(15, 30),
    )

    slots = find_slots(unit, now=SUNDAY_NIGHT, days=2, limit=10)

    assert local_starts(slots) == [(11, 14, 0), (11, 15, 30)]
    assert slots[0].source["unit_window"]["kind"] == "override"


def test_find_slots_skips_existing_showings_with_buffers(unit) -> None:  # type: ignore[no-untyped-def]
    # given: the agent shows another unit 10:00-10:30
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    ShowingFactory(agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))

    slots = find_slots(unit, now=SUNDAY_NIGHT, days=2, limit=10)

    # then: 10:00 overlaps, 10:30 is inside the 15-minute buffer
    assert local_starts(slots) == [(11, 11, 0), (11, 11, 30)]


def test_find_slots_never_offers_the_past(unit) -> None:  # type: ignore[no-untyped-def]
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(9), end_time=dt.time(13))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(9), end_time=dt.time(13))

    slots = find_slots(unit, now=ny(11, 10, 20), days=1, limit=10)

    # An hour's notice from 10:20 is 11:20, aligned up to 11:30.
    assert local_starts(slots) == [(11, 11, 30), (11, 12, 0), (11, 12, 30)]


def test_find_slots_prefers_the_primary_agent_and_spreads_over_days(unit) -> None:  # type: ignore[no-untyped-def]
    primary = assigned_agent(unit, primary=True)
    backup = assigned_agent(unit, primary=False)
    for weekday in range(7):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(10), end_time=dt.time(16))
        RuleFactory(agent=primary, weekday=weekday, start_time=dt.time(10), end_time=dt.time(16))
        RuleFactory(agent=backup, weekday=weekday, start_time=dt.time(10), end_time=dt.time(16))

    slots = find_slots(unit, now=SUNDAY_NIGHT, limit=5)

    assert len({s.local_start.date() for s in slots}) == 5
    assert {s.agent_id for s in slots} == {primary.pk}
    assert len({(s.local_start.hour, s.local_start.minute) for s in slots}) > 1


def test_find_slots_offers_a_group_showing_of_the_same_unit_up_to_its_size(unit) -> None:  # type: ignore[no-untyped-def]
    unit.showing_group_size = 2
    unit.save()
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))

    slots = find_slots(unit, now=SUNDAY_NIGHT, days=2, limit=10)
    assert local_starts(slots) == [(11, 10, 0)]
    assert slots[0].group is True

    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))
    assert find_slots(unit, now=SUNDAY_NIGHT, days=2, limit=10) == []


def test_exclusion_constraint_refuses_agent_double_booking_across_units(unit) -> None:  # type: ignore[no-untyped-def]
    Unit.objects.filter(pk=unit.pk).update(showing_group_size=2)
    agent = assigned_agent(unit)
    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))
    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))  # Same unit: a group.

    with pytest.raises(IntegrityError), transaction.atomic():
        ShowingFactory(agent=agent, starts_at=ny(11, 10, 15), ends_at=ny(11, 10, 45))


def _open_unit_with_agent(group_size: int = 1):  # type: ignore[no-untyped-def]
    unit = UnitFactory(showing_group_size=group_size)
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(9), end_time=dt.time(17))
    return unit, agent


def test_showing_book_books_confirms_and_is_idempotent(db) -> None:  # type: ignore[no-untyped-def]
    unit, _agent = _open_unit_with_agent()
    conversation = ConversationFactory(unit=unit, listing=unit.listing, showing_state="offered")
    slot = find_slots(unit, now=SUNDAY_NIGHT)[0]

    first = showing_book(conversation_id=conversation.pk, slot=slot.to_dict(), now=SUNDAY_NIGHT)
    again = showing_book(conversation_id=conversation.pk, slot=slot.to_dict(), now=SUNDAY_NIGHT)

    conversation.refresh_from_db()
    assert first.pk == again.pk
    assert conversation.showing_state == "booked"
    assert first.source["assignment"]["is_primary"] is True


def test_showing_book_second_renter_same_private_slot_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    unit, _agent = _open_unit_with_agent(group_size=1)
    slot = find_slots(unit, now=SUNDAY_NIGHT)[0].to_dict()
    showing_book(conversation_id=ConversationFactory(unit=unit).pk, slot=slot, now=SUNDAY_NIGHT)

    with pytest.raises(SlotUnavailable):
        showing_book(conversation_id=ConversationFactory(unit=unit).pk, slot=slot, now=SUNDAY_NIGHT)


def test_showing_book_group_showing_admits_a_second_renter(db) -> None:  # type: ignore[no-untyped-def]
    unit, _agent = _open_unit_with_agent(group_size=2)
    slot = find_slots(unit, now=SUNDAY_NIGHT)[0].to_dict()

    a = showing_book(conversation_id=ConversationFactory(unit=unit).pk, slot=slot, now=SUNDAY_NIGHT)
    b = showing_book(conversation_id=ConversationFactory(unit=unit).pk, slot=slot, now=SUNDAY_NIGHT)

    assert (a.starts_at, a.agent_id) == (b.starts_at, b.agent_id)
    assert Showing.objects.filter(status="booked").count() == 2


def test_showing_book_reschedule_moves_and_cancel_frees_the_slot(db) -> None:  # type: ignore[no-untyped-def]
    unit, _agent = _open_unit_with_agent()
    conversation = ConversationFactory(unit=unit)
    first, second = find_slots(unit, now=SUNDAY_NIGHT, limit=2)

    old = showing_book(conversation_id=conversation.pk, slot=first.to_dict(), now=SUNDAY_NIGHT)
    new = showing_book(conversation_id=conversation.pk, slot=second.to_dict(), now=SUNDAY_NIGHT)

    old.refresh_from_db()
    assert old.status == "cancelled"
    assert old.cancel_reason == "rescheduled"
    assert new.status == "booked"
    showing_cancel(showing_id=new.pk, reason="renter cancelled")
    conversation.refresh_from_db()
    assert conversation.showing_state == "cancelled"
    assert len(find_slots(unit, now=SUNDAY_NIGHT, limit=10)) == 4


def test_showing_book_slot_outside_availability_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    unit, agent = _open_unit_with_agent()
    fake = Slot(ny(11, 20), ny(11, 20, 30), unit.pk, agent.pk, "America/New_York")

    with pytest.raises(SlotUnavailable):
        showing_book(conversation_id=ConversationFactory(unit=unit).pk, slot=fake.to_dict(), now=SUNDAY_NIGHT)


def _race(calls: list) -> list[object]:  # type: ignore[type-arg]
    """Run the calls at the same moment in threads (own connections); return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_agent_slot_for_two_units_one_wins() -> None:
    # given: one agent shows two units at the same time windows
    unit_a, agent = _open_unit_with_agent()
    unit_b = UnitFactory()
    AssignmentFactory(unit=unit_b, agent=agent)
    RuleFactory(unit=unit_b, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    slot_a = find_slots(unit_a, now=SUNDAY_NIGHT)[0]
    slot_b = next(s for s in find_slots(unit_b, now=SUNDAY_NIGHT, limit=10) if s.starts_at == slot_a.starts_at)
    conv_a, conv_b = ConversationFactory(unit=unit_a), ConversationFactory(unit=unit_b)

    # when: two renters book at the same instant
    results = _race(
        [
            lambda: showing_book(conversation_id=conv_a.pk, slot=slot_a.to_dict(), now=SUNDAY_NIGHT),
            lambda: showing_book(conversation_id=conv_b.pk, slot=slot_b.to_dict(), now=SUNDAY_NIGHT),
        ]
    )

    # then
    assert sum(isinstance(r, Showing) for r in results) == 1
    assert sum(isinstance(r, SlotUnavailable) for r in results) == 1
    assert Showing.objects.filter(agent=agent, status="booked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_private_slot_of_one_unit_one_wins() -> None:
    unit, agent = _open_unit_with_agent(group_size=1)
    slot = find_slots(unit, now=SUNDAY_NIGHT)[0].to_dict()
    conversations = [ConversationFactory(unit=unit) for _ in range(3)]

    results = _race(
        [lambda c=c: showing_book(conversation_id=c.pk, slot=slot, now=SUNDAY_NIGHT) for c in conversations]
    )

    assert sum(isinstance(r, Showing) for r in results) == 1
    assert Showing.objects.filter(agent=agent, status="booked").count() == 1
