"""No double booking, enforced by PostgreSQL whatever path a write takes.

The booking service serialises one agent's bookings with an advisory lock and checks the slot
again; these tests write past that lock (straight inserts, or the service with its lock
switched off) to prove the database itself refuses: exclusion constraints (btree_gist) for one
agent's overlapping showings, a trigger for a group showing's size. The trigger also takes the
agent's booking lock on insert, so two overlapping inserts at once run in turn and the second
meets the constraint, instead of deadlocking under it. The service turns the
refusal into ``SlotUnavailable`` (HTTP 409 with its reason), never a 5xx.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from inbox import showings
from inbox.exceptions import SlotUnavailable
from inbox.lock_objects import BOOKING_LOCK_NAMESPACE
from inbox.models import Showing, Unit
from inbox.showings import showing_book
from inbox.slots import find_slots
from leasebot.core.exceptions import Conflict
from tests.inbox.factories import (
    AssignmentFactory,
    ConversationFactory,
    RuleFactory,
    ShowingFactory,
    UnitFactory,
    assigned_agent,
)
from tests.inbox.test_slots import SUNDAY_NIGHT, ny

MINUTES_30 = dt.timedelta(minutes=30)


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls at the same moment in threads (own connections); return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
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


def _unit_with_agent(group_size: int = 1) -> tuple[Unit, object]:
    unit = UnitFactory(showing_group_size=group_size, showing_duration_minutes=30)
    agent = assigned_agent(unit)
    RuleFactory(unit=unit, weekday=0, start_time=dt.time(10), end_time=dt.time(12))
    RuleFactory(agent=agent, weekday=0, start_time=dt.time(9), end_time=dt.time(17))
    return unit, agent


@pytest.mark.django_db
def test_one_agent_cannot_hold_two_overlapping_showings_of_one_unit_at_different_times() -> None:
    unit, agent = _unit_with_agent(group_size=3)
    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))

    with pytest.raises(IntegrityError, match="showing_agent_no_overlap_other_start"), transaction.atomic():
        ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10, 15), ends_at=ny(11, 10, 45))
    with pytest.raises(IntegrityError, match="showing_agent_no_overlap_other_end"), transaction.atomic():
        ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 45))
    # Back to back is not an overlap, and a cancelled showing holds no time.
    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10, 30), ends_at=ny(11, 11))
    ShowingFactory(unit=unit, agent=agent, starts_at=ny(11, 10, 15), ends_at=ny(11, 10, 45), status="cancelled")


@pytest.mark.django_db
def test_a_group_showing_holds_at_most_the_units_group_size() -> None:
    unit, agent = _unit_with_agent(group_size=2)
    same = {"unit": unit, "agent": agent, "starts_at": ny(11, 10), "ends_at": ny(11, 10, 30)}
    ShowingFactory(**same)
    ShowingFactory(**same)

    with pytest.raises(IntegrityError, match="is full"), transaction.atomic():
        ShowingFactory(**same)
    # Re-opening a cancelled seat of a full group is refused the same way.
    spare = ShowingFactory(**{**same, "status": "cancelled"})
    with pytest.raises(IntegrityError, match="is full"), transaction.atomic():
        Showing.objects.filter(pk=spare.pk).update(status="booked")
    assert Showing.objects.filter(unit=unit, status="booked").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_inserts_past_the_service_one_agent_two_units_one_is_stored() -> None:
    unit_a, agent = _unit_with_agent()
    unit_b = UnitFactory()

    results = _race(
        [
            lambda: Showing.objects.create(unit=unit_a, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30)),
            lambda: Showing.objects.create(unit=unit_b, agent=agent, starts_at=ny(11, 10, 15), ends_at=ny(11, 10, 45)),
        ]
    )

    assert sum(isinstance(r, Showing) for r in results) == 1
    assert sum(isinstance(r, IntegrityError) for r in results) == 1
    assert Showing.objects.filter(agent=agent, status="booked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_insert_past_the_service_holds_its_agents_booking_lock_until_commit() -> None:
    # Without it two such inserts that overlap wait for each other under the exclusion
    # constraint, and PostgreSQL aborts one with "deadlock detected" (a 5xx), not the violation.
    unit, agent = _unit_with_agent()
    inserted, probed = threading.Event(), threading.Event()
    free_while_open: list[bool] = []

    def probe() -> None:
        inserted.wait(timeout=30)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)", [BOOKING_LOCK_NAMESPACE, agent.pk & 0x7FFFFFFF]
                )
                free_while_open.append(cursor.fetchone()[0])
        finally:
            probed.set()
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    with transaction.atomic():
        Showing.objects.create(unit=unit, agent=agent, starts_at=ny(11, 10), ends_at=ny(11, 10, 30))
        inserted.set()
        assert probed.wait(timeout=30)
    thread.join(timeout=30)

    assert free_while_open == [False]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [BOOKING_LOCK_NAMESPACE, agent.pk & 0x7FFFFFFF])
        assert cursor.fetchone()[0] is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_without_the_services_lock_keep_the_group_size_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a group showing for two, three renters, and the service's own agent lock switched off
    unit, agent = _unit_with_agent(group_size=2)
    slot = find_slots(unit, now=SUNDAY_NIGHT)[0].to_dict()
    conversations = [ConversationFactory(unit=unit, listing=unit.listing) for _ in range(3)]
    monkeypatch.setattr(showings, "_lock_agents", lambda agent_ids: None)

    # when: all three book at the same instant
    results = _race(
        [lambda c=c: showing_book(conversation_id=c.pk, slot=slot, now=SUNDAY_NIGHT) for c in conversations]
    )

    # then: two seats taken, the third told the slot is no longer available (a 409, not a crash)
    assert sum(isinstance(r, Showing) for r in results) == 2
    refused = [r for r in results if isinstance(r, SlotUnavailable)]
    assert len(refused) == 1
    assert isinstance(refused[0], Conflict)  # The API's error handler answers 409 with the reason.
    assert "no longer available" in str(refused[0])
    assert Showing.objects.filter(agent=agent, status="booked").count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_agent_at_overlapping_times_one_wins_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: two units shown by one agent, slots 15 minutes apart, the service's lock switched off
    unit_a, agent = _unit_with_agent()
    unit_b = UnitFactory(showing_duration_minutes=30)
    AssignmentFactory(unit=unit_b, agent=agent)
    RuleFactory(unit=unit_b, weekday=0, start_time=dt.time(10, 15), end_time=dt.time(12))
    slot_a = find_slots(unit_a, now=SUNDAY_NIGHT, limit=10)[0]
    slot_b = next(
        s for s in find_slots(unit_b, now=SUNDAY_NIGHT, limit=10) if s.starts_at == slot_a.starts_at + MINUTES_30 / 2
    )
    conv_a = ConversationFactory(unit=unit_a, listing=unit_a.listing)
    conv_b = ConversationFactory(unit=unit_b, listing=unit_b.listing)
    monkeypatch.setattr(showings, "_lock_agents", lambda agent_ids: None)

    results = _race(
        [
            lambda: showing_book(conversation_id=conv_a.pk, slot=slot_a.to_dict(), now=SUNDAY_NIGHT),
            lambda: showing_book(conversation_id=conv_b.pk, slot=slot_b.to_dict(), now=SUNDAY_NIGHT),
        ]
    )

    assert sum(isinstance(r, Showing) for r in results) == 1
    assert sum(isinstance(r, SlotUnavailable) for r in results) == 1
    assert Showing.objects.filter(agent=agent, status="booked").count() == 1
