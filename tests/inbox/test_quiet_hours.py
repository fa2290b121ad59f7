"""Quiet hours: follow-ups due at night wait for the morning, in the unit's zone, across DST."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError

from inbox.models import Conversation, OutboundMessage, QuietHours
from inbox.quiet_hours import QuietWindow, conversation_quiet_window, parse_window
from inbox.services import followups_due, inbound_decide

NY = zoneinfo.ZoneInfo("America/New_York")
NIGHT = QuietWindow(dt.time(21), dt.time(8), NY)
# 2027: clocks go forward in New York on Sunday March 14 (02:00 -> 03:00), back on Sunday November 7.
FRIDAY_BEFORE_SPRING = dt.datetime(2027, 3, 12, 23, 30, tzinfo=NY)
SUNDAY_0800_AFTER_SPRING_UTC = dt.datetime(2027, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (dt.datetime(2027, 1, 11, 22, 0, tzinfo=NY), dt.datetime(2027, 1, 12, 8, 0, tzinfo=NY)),
        (dt.datetime(2027, 1, 12, 3, 0, tzinfo=NY), dt.datetime(2027, 1, 12, 8, 0, tzinfo=NY)),
        (dt.datetime(2027, 1, 12, 21, 0, tzinfo=NY), dt.datetime(2027, 1, 13, 8, 0, tzinfo=NY)),
        (dt.datetime(2027, 1, 12, 8, 0, tzinfo=NY), None),
        (dt.datetime(2027, 1, 12, 20, 59, tzinfo=NY), None),
    ],
)
def test_quiet_window_over_midnight_ends_next_morning(local: dt.datetime, expected_local: dt.datetime | None) -> None:
    assert NIGHT.until(local) == (expected_local.astimezone(dt.UTC) if expected_local else None)


def test_quiet_window_within_one_day() -> None:
    lunch = QuietWindow(dt.time(12), dt.time(13, 30), NY)

    assert lunch.until(dt.datetime(2027, 1, 12, 12, 15, tzinfo=NY)) == dt.datetime(2027, 1, 12, 18, 30, tzinfo=dt.UTC)
    assert lunch.until(dt.datetime(2027, 1, 12, 11, 59, tzinfo=NY)) is None
    assert lunch.postpone(dt.datetime(2027, 1, 12, 14, 0, tzinfo=NY)) == dt.datetime(2027, 1, 12, 14, 0, tzinfo=NY)


@pytest.mark.parametrize(
    ("moment", "expected_utc"),
    [
        # Spring forward: 08:00 on Sunday is EDT (UTC-4), so 12:00 UTC, not 13:00.
        (dt.datetime(2027, 3, 13, 23, 0, tzinfo=NY), dt.datetime(2027, 3, 14, 12, 0, tzinfo=dt.UTC)),
        # Fall back: 08:00 on Sunday is EST (UTC-5), so 13:00 UTC; 01:30 happens twice that night.
        (dt.datetime(2027, 11, 6, 22, 0, tzinfo=NY), dt.datetime(2027, 11, 7, 13, 0, tzinfo=dt.UTC)),
        (dt.datetime(2027, 11, 7, 1, 30, fold=1, tzinfo=NY), dt.datetime(2027, 11, 7, 13, 0, tzinfo=dt.UTC)),
    ],
)
def test_quiet_window_end_follows_daylight_saving(moment: dt.datetime, expected_utc: dt.datetime) -> None:
    assert NIGHT.until(moment) == expected_utc


def test_quiet_window_end_in_the_spring_gap_is_a_real_instant() -> None:
    gap = QuietWindow(dt.time(1), dt.time(2, 30), NY)  # 02:30 does not exist on March 14, 2027.

    end = gap.until(dt.datetime(2027, 3, 14, 1, 15, tzinfo=NY))

    assert end == dt.datetime(2027, 3, 14, 7, 30, tzinfo=dt.UTC)  # 03:30 EDT, the first real minute past it.


@pytest.mark.parametrize("value", ["21:00", "25:00-08:00", "21:00-21:00", "9pm-8am"])
def test_parse_window_refuses_a_bad_value(value: str) -> None:
    with pytest.raises(ValueError, match="quiet window"):
        parse_window(value)


def test_parse_window_empty_means_none() -> None:
    assert parse_window("") is None
    assert parse_window(" 21:00 - 08:00 ") == (dt.time(21), dt.time(8))


def test_bad_default_setting_is_a_configuration_error(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_QUIET_HOURS = "22:00-22:00"

    with pytest.raises(ImproperlyConfigured, match="LEASEBOT_QUIET_HOURS"):
        conversation_quiet_window(world.conversation())


def test_quiet_hours_row_refuses_an_empty_window(world) -> None:  # type: ignore[no-untyped-def]
    row = QuietHours(account=world.conversation().account, starts=dt.time(22), ends=dt.time(22))

    with pytest.raises(ValidationError):
        row.full_clean()
    with pytest.raises(IntegrityError):
        row.save()


def _replied_at(world, moment: dt.datetime) -> Conversation:  # type: ignore[no-untyped-def]
    conversation = world.conversation()
    with time_machine.travel(moment, tick=False):
        inbound_decide(message_id=world.inbound("Is it available?", conversation=conversation).pk)
    OutboundMessage.objects.update(status="sent", sent_at=moment)
    conversation.refresh_from_db()
    return conversation


def test_follow_up_due_at_night_before_spring_forward_waits_until_0800_edt(world, auto_send) -> None:  # type: ignore[no-untyped-def]
    # given: our reply went out late on Friday, so the first follow-up falls on Saturday 23:30
    conversation = _replied_at(world, FRIDAY_BEFORE_SPRING)

    # then: it is scheduled for Sunday 08:00 local, which is EDT after the change overnight
    assert conversation.next_follow_up_at == SUNDAY_0800_AFTER_SPRING_UTC

    with time_machine.travel(SUNDAY_0800_AFTER_SPRING_UTC - dt.timedelta(minutes=1), tick=False):
        assert followups_due() == 0
    with time_machine.travel(SUNDAY_0800_AFTER_SPRING_UTC, tick=False):
        assert followups_due() == 1
    assert OutboundMessage.objects.filter(conversation=conversation, purpose="follow_up").count() == 1


def test_follow_up_found_due_by_a_late_beat_inside_the_window_is_postponed(world, auto_send) -> None:  # type: ignore[no-untyped-def]
    # given: the account keeps its own window, in London, and the follow-up was due at 21:50 London
    conversation = _replied_at(world, dt.datetime(2027, 3, 22, 14, 0, tzinfo=dt.UTC))
    QuietHours.objects.create(
        account=conversation.account, starts=dt.time(22), ends=dt.time(7), time_zone="Europe/London"
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        next_follow_up_at=dt.datetime(2027, 3, 26, 21, 50, tzinfo=dt.UTC)
    )

    # when: the beat only runs at 23:10 London (still GMT before the UK change on March 28)
    with time_machine.travel(dt.datetime(2027, 3, 26, 23, 10, tzinfo=dt.UTC), tick=False):
        created = followups_due()

    # then: nothing is sent and it waits for 07:00 London
    assert created == 0
    assert not OutboundMessage.objects.filter(purpose="follow_up").exists()
    conversation.refresh_from_db()
    assert conversation.next_follow_up_at == dt.datetime(2027, 3, 27, 7, 0, tzinfo=dt.UTC)


def test_account_with_quiet_hours_off_follows_up_at_night(world, auto_send) -> None:  # type: ignore[no-untyped-def]
    conversation = _replied_at(world, FRIDAY_BEFORE_SPRING)
    QuietHours.objects.create(account=conversation.account, starts=dt.time(21), ends=dt.time(8), is_active=False)
    night = dt.datetime(2027, 3, 13, 23, 45, tzinfo=NY)
    Conversation.objects.filter(pk=conversation.pk).update(next_follow_up_at=night)

    with time_machine.travel(night, tick=False):
        assert followups_due() == 1
