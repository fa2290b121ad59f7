"""The date table: every form each platform prints, resolved against a frozen "now", DST and drift included.

Each row is (platform, shown value, earliest, latest, form). "Now" is Tuesday 24 November
2026, 15:00 UTC: 10:00 in New York (EST), 09:00 in Chicago (CST). Every row runs twice:
with the clock frozen at that moment and "now" read from it, and with the clock somewhere
else entirely and "now" passed in, so a parser that peeked at the wall clock would fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from platforms.connectors.base import AccountConfig
from platforms.connectors.dates import FORMS, RELATIVE_SLACK, TABLES, DateFormatError, DateTable
from platforms.connectors.errors import SelectorDrift
from platforms.connectors.registry import connector_classes
from platforms.guard import Guard

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
US = 1e-6  # One microsecond: the inclusive end of an interval.
MINUTE = timedelta(minutes=1) - timedelta(microseconds=1)
SECOND = timedelta(seconds=1) - timedelta(microseconds=1)


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)  # type: ignore[misc, arg-type]


def utc(*parts: int, micro: int = 0) -> datetime:
    return datetime(*parts, microsecond=micro, tzinfo=UTC)  # type: ignore[misc, arg-type]


def day(zone: ZoneInfo, y: int, m: int, d: int) -> tuple[datetime, datetime]:
    start = at(zone, y, m, d)
    end = (datetime(y, m, d, tzinfo=zone) + timedelta(days=1)).astimezone(UTC)
    return start, end - timedelta(microseconds=1)


def minute(zone: ZoneInfo, *parts: int) -> tuple[datetime, datetime]:
    start = at(zone, *parts)
    return start, start + MINUTE


def ago(earliest: timedelta, latest: timedelta) -> tuple[datetime, datetime]:
    return NOW - earliest - RELATIVE_SLACK, NOW - latest


H, D = timedelta(hours=1), timedelta(days=1)

ROWS: list[tuple[str, str, tuple[datetime, datetime], str]] = [
    # SpareRoom (New York): the plain replica's format, and the US site's own forms.
    (
        "spareroom",
        "12 Mar 2026 14:05:09",
        (at(NY, 2026, 3, 12, 14, 5, 9), at(NY, 2026, 3, 12, 14, 5, 9) + SECOND),
        "day_month",
    ),
    ("spareroom", "Today", day(NY, 2026, 11, 24), "today"),
    ("spareroom", "Today 9:14 AM", minute(NY, 2026, 11, 24, 9, 14), "today"),
    ("spareroom", "Today 9:14 AM EST", minute(NY, 2026, 11, 24, 9, 14), "today"),
    ("spareroom", "Yesterday", day(NY, 2026, 11, 23), "yesterday"),
    ("spareroom", "Yesterday 11:21 PM EST", minute(NY, 2026, 11, 23, 23, 21), "yesterday"),
    ("spareroom", "Yesterday 11:21 PM PST", (utc(2026, 11, 24, 7, 21), utc(2026, 11, 24, 7, 21) + MINUTE), "yesterday"),
    ("spareroom", "yesterday  11:21\u202fpm", minute(NY, 2026, 11, 23, 23, 21), "yesterday"),
    ("spareroom", "11/23/2026", day(NY, 2026, 11, 23), "numeric"),
    ("spareroom", "11/23/2026, 3:05 PM", minute(NY, 2026, 11, 23, 15, 5), "numeric"),
    ("spareroom", "Jan 20 2026", day(NY, 2026, 1, 20), "month_day"),
    ("spareroom", "February 1 2026 9:14 AM", minute(NY, 2026, 2, 1, 9, 14), "month_day"),
    ("spareroom", "Nov 23", day(NY, 2026, 11, 23), "month_day"),
    ("spareroom", "Dec 25", day(NY, 2025, 12, 25), "month_day"),  # Not yet this year: last year's.
    # Roomies: createdAt in the component data; the inbox's relative times.
    ("roomies", "2026-03-12T14:05:09.000000Z", (utc(2026, 3, 12, 14, 5, 9),) * 2, "iso"),
    ("roomies", "just now", (NOW - timedelta(minutes=1) - RELATIVE_SLACK, NOW), "just_now"),
    ("roomies", "2 hours ago", ago(3 * H, 1 * H), "ago"),
    ("roomies", "2h", ago(3 * H, 1 * H), "ago"),
    ("roomies", "5m", ago(timedelta(minutes=6), timedelta(minutes=4)), "ago"),
    ("roomies", "3d", ago(4 * D, 2 * D), "ago"),
    ("roomies", "a minute ago", ago(timedelta(minutes=2), timedelta(0)), "ago"),
    ("roomies", "Nov 23", day(NY, 2026, 11, 23), "month_day"),
    ("roomies", "Mar 12, 2025", day(NY, 2025, 3, 12), "month_day"),
    # Leasebreak: time[datetime], and the text of the element.
    ("leasebreak", "2026-03-12T10:05:09-04:00", (utc(2026, 3, 12, 14, 5, 9),) * 2, "iso"),
    ("leasebreak", "Mar 12, 2:05 PM", minute(NY, 2026, 3, 12, 14, 5), "month_day"),
    ("leasebreak", "Mar 12, 2026 2:05 PM", minute(NY, 2026, 3, 12, 14, 5), "month_day"),
    ("leasebreak", "March 12, 2026 14:05", minute(NY, 2026, 3, 12, 14, 5), "month_day"),
    ("leasebreak", "about 2 hours ago", ago(3 * H, 1 * H), "ago"),
    ("leasebreak", "less than a minute ago", (NOW - timedelta(minutes=1) - RELATIVE_SLACK, NOW), "ago"),
    ("leasebreak", "about 1 month ago", (NOW - 60 * D - 6 * D - RELATIVE_SLACK, NOW), "ago"),
    ("leasebreak", "almost 2 years ago", (NOW - 3 * 365 * D - 9 * D - RELATIVE_SLACK, NOW - 365 * D), "ago"),
    # RentHop: data-ts, and a card's or bubble's text.
    ("renthop", "1773324309", (utc(2026, 3, 12, 14, 5, 9),) * 2, "epoch"),
    ("renthop", "1773324309250", (utc(2026, 3, 12, 14, 5, 9, micro=250000),) * 2, "epoch"),
    ("renthop", "Mar 12 2:05PM", minute(NY, 2026, 3, 12, 14, 5), "month_day"),
    ("renthop", "Mar 12, 2:05 PM", minute(NY, 2026, 3, 12, 14, 5), "month_day"),
    ("renthop", "12m ago", ago(timedelta(minutes=13), timedelta(minutes=11)), "ago"),
    ("renthop", "Yesterday", day(NY, 2026, 11, 23), "yesterday"),
    ("renthop", "Mar 12", day(NY, 2026, 3, 12), "month_day"),
    ("renthop", "11/23/2025", day(NY, 2025, 11, 23), "numeric"),
    # Furnished Finder (Chicago): the plain format, Stream Chat's forms, a time element's ISO value.
    (
        "furnishedfinder",
        "03/12/2026 01:05:09 PM",
        (at(CHI, 2026, 3, 12, 13, 5, 9), at(CHI, 2026, 3, 12, 13, 5, 9) + SECOND),
        "numeric",
    ),
    ("furnishedfinder", "2026-11-24T14:42:47.087Z", (utc(2026, 11, 24, 14, 42, 47, micro=87000),) * 2, "iso"),
    ("furnishedfinder", "8:05 AM", minute(CHI, 2026, 11, 24, 8, 5), "time"),
    ("furnishedfinder", "8:05AM", minute(CHI, 2026, 11, 24, 8, 5), "time"),
    ("furnishedfinder", "Yesterday", day(CHI, 2026, 11, 23), "yesterday"),
    ("furnishedfinder", "Monday", day(CHI, 2026, 11, 23), "weekday"),
    ("furnishedfinder", "Sunday", day(CHI, 2026, 11, 22), "weekday"),
    ("furnishedfinder", "Tuesday", day(CHI, 2026, 11, 17), "weekday"),  # Today is Tuesday: a week back.
    ("furnishedfinder", "Last Monday at 3:05 PM", minute(CHI, 2026, 11, 23, 15, 5), "weekday"),
    ("furnishedfinder", "11/23/2026", day(CHI, 2026, 11, 23), "numeric"),
]


@pytest.mark.parametrize("clock", ["frozen", "elsewhere"])
@pytest.mark.parametrize(("platform", "shown", "interval", "form"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS])
def test_every_form_of_every_platform_resolves_against_the_given_now(
    clock: str, platform: str, shown: str, interval: tuple[datetime, datetime], form: str
) -> None:
    if clock == "frozen":
        with time_machine.travel(NOW, tick=False):
            stamp = TABLES[platform].parse(shown, now=datetime.now(tz=UTC))
    else:
        with time_machine.travel(datetime(2001, 7, 4, 12, 0, tzinfo=UTC), tick=False):
            stamp = TABLES[platform].parse(shown, now=NOW)
    assert (stamp.earliest, stamp.latest, stamp.form) == (interval[0], interval[1], form)


def test_every_form_is_in_some_platform_table_and_every_example_parses() -> None:
    used = {name for table in TABLES.values() for name in table.forms}
    assert used == set(FORMS)
    evening = utc(2026, 11, 24, 23, 30)  # Late enough that every example's clock time has passed.
    for name, form in FORMS.items():
        table = next(t for t in TABLES.values() if name in t.forms)
        assert table.parse(form.example, now=evening).form == name


@pytest.mark.parametrize(
    ("platform", "shown"),
    [
        ("spareroom", "2h"),  # Another site's form.
        ("spareroom", "Tomorrow"),
        ("spareroom", "31 Feb 2026 14:05:09"),
        ("spareroom", "12/25/2026"),  # In the future: a misread (or a day-first date).
        ("spareroom", "13/01/2026"),
        ("spareroom", "Today 13:05 PM"),
        ("spareroom", ""),
        ("roomies", "2026-03-12T14:05:09"),  # An ISO time without a zone.
        ("roomies", "Yesterday"),
        ("roomies", "99999999999999999999 hours ago"),
        ("leasebreak", "Monday"),
        ("renthop", "999"),
        ("renthop", "99999999999"),
        ("furnishedfinder", "2 hours ago"),
        ("furnishedfinder", "Mar 12"),
        ("furnishedfinder", "11:59 PM"),  # Later today than now (09:00 Chicago), long after midnight.
    ],
)
def test_a_value_in_no_known_form_is_an_error_naming_platform_and_value(platform: str, shown: str) -> None:
    with pytest.raises(DateFormatError) as caught:
        TABLES[platform].parse(shown, now=NOW)
    assert caught.value.platform == platform
    assert str(caught.value).startswith(f"{platform}: ")
    assert repr(shown) in str(caught.value)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        TABLES["spareroom"].parse("Today", now=NOW.replace(tzinfo=None))


def test_a_table_refuses_a_form_nobody_defined() -> None:
    with pytest.raises(ValueError, match="unknown date forms"):
        DateTable("spareroom", "America/New_York", ("today", "fortnight"))


# --- DST in New York --------------------------------------------------------------------


def test_a_wall_time_that_happens_twice_covers_both_and_an_abbreviation_picks_one() -> None:
    now = utc(2026, 11, 1, 18, 0)  # The day New York falls back (1:00-2:00 happens twice).
    table = TABLES["spareroom"]
    both = table.parse("11/01/2026, 1:30 AM", now=now)
    assert both.earliest == utc(2026, 11, 1, 5, 30)  # 1:30 EDT
    assert both.latest == utc(2026, 11, 1, 6, 30) + MINUTE  # 1:30 EST
    assert both.sent_at(now) == both.latest  # Wider than a minute: the latest, never later than now.
    edt = table.parse("Today 1:30 AM EDT", now=now)
    est = table.parse("Today 1:30 AM EST", now=now)
    assert (edt.earliest, est.earliest) == (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30))
    assert edt.precision == est.precision == MINUTE


def test_a_wall_time_that_never_happens_is_an_error() -> None:
    now = utc(2026, 3, 9, 15, 0)  # The day after New York springs forward (2:00-3:00 skipped).
    with pytest.raises(DateFormatError, match="does not exist"):
        TABLES["spareroom"].parse("03/08/2026, 2:30 AM", now=now)


@pytest.mark.parametrize(("now", "hours"), [(utc(2026, 11, 1, 18), 25), (utc(2026, 3, 8, 18), 23), (NOW, 24)])
def test_today_is_as_long_as_the_local_day(now: datetime, hours: int) -> None:
    stamp = TABLES["spareroom"].parse("Today", now=now)
    assert stamp.precision == timedelta(hours=hours) - timedelta(microseconds=1)


# --- read just after midnight ------------------------------------------------------------


def test_a_day_relative_value_read_just_after_midnight_means_the_day_it_was_rendered() -> None:
    just_after = at(NY, 2026, 11, 25, 0, 5)
    stamp = TABLES["spareroom"].parse("Today 11:58 PM", now=just_after)
    assert stamp.earliest == at(NY, 2026, 11, 24, 23, 58)
    chicago = at(CHI, 2026, 11, 25, 0, 3)
    assert TABLES["furnishedfinder"].parse("11:59 PM", now=chicago).earliest == at(CHI, 2026, 11, 24, 23, 59)
    with pytest.raises(DateFormatError, match="future"):  # An hour after midnight it is simply wrong.
        TABLES["spareroom"].parse("Today 11:58 PM", now=at(NY, 2026, 11, 25, 1, 0))


# --- what the connectors report ------------------------------------------------------------


def test_a_message_time_is_the_start_of_a_shown_minute_and_a_coarse_one_its_end_capped_at_now() -> None:
    table = TABLES["spareroom"]
    assert table.parse("Today 9:14 AM", now=NOW).sent_at(NOW) == at(NY, 2026, 11, 24, 9, 14)
    assert table.parse("12 Mar 2026 14:05:09", now=NOW).sent_at(NOW) == at(NY, 2026, 3, 12, 14, 5, 9)
    assert table.parse("Today", now=NOW).sent_at(NOW) == NOW  # Not the end of the day: never in the future.
    assert table.parse("Yesterday", now=NOW).sent_at(NOW) == day(NY, 2026, 11, 23)[1]
    assert table.parse("Today", now=NOW).activity() == day(NY, 2026, 11, 24)[1]


class _Runtime:
    """Enough of a browser runtime for a connector that parses values (no page is opened)."""

    def page(self, platform: str, account_id: int) -> Any:
        return SimpleNamespace(url="http://127.0.0.1/spareroom/roommate/mythreads_beta.pl")

    def save_failure(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.parametrize("platform", sorted(TABLES))
def test_a_connector_turns_an_unknown_date_into_selector_drift_naming_value_and_platform(platform: str) -> None:
    config = AccountConfig(
        account_id=7, platform=platform, base_url="http://127.0.0.1/x", username="a@example.com", credential_ref=""
    )
    connector = connector_classes()[platform](config, runtime=_Runtime(), guard=Guard(account_id=7, platform=platform))  # type: ignore[arg-type]
    assert connector.dates is TABLES[platform]
    connector.read_at = NOW
    with pytest.raises(SelectorDrift) as caught:
        connector.sent_at_or_drift("Thursday-ish, after lunch", "thread.messages.date")
    assert caught.value.extra["platform"] == platform
    assert caught.value.extra["value"] == "Thursday-ish, after lunch"
    assert caught.value.extra["locator"] == "thread.messages.date"
    assert "'Thursday-ish, after lunch'" in str(caught.value)
    assert str(caught.value).startswith(f"{platform}: ")
    assert connector.activity_or_drift("", "inbox.rows.date") is None  # A row without a date: no skip decision.
