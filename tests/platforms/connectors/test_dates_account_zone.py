"""The date table in the account's zone: one other than the platform's, across its DST changes.

A real site prints local times in the zone the account's user chose, not in one zone per
platform. Here the accounts are in Los Angeles and London while the tables' defaults are
New York and Chicago. "Now" is Tuesday 24 November 2026, 15:00 UTC unless a test says
otherwise: 07:00 in Los Angeles (PST), 15:00 in London (GMT).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from platforms.connectors.base import AccountConfig
from platforms.connectors.dates import TABLES, ZONE_ABBREVIATIONS, DateFormatError, parse
from platforms.connectors.errors import SelectorDrift
from platforms.connectors.registry import connector_classes
from platforms.connectors.web import BrowserConnector
from platforms.guard import Guard

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
MINUTE = timedelta(minutes=1) - timedelta(microseconds=1)
SECOND = timedelta(seconds=1) - timedelta(microseconds=1)


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)  # type: ignore[misc, arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc, arg-type]


def day(zone: ZoneInfo, y: int, m: int, d: int) -> tuple[datetime, datetime]:
    end = (datetime(y, m, d, tzinfo=zone) + timedelta(days=1)).astimezone(UTC)
    return at(zone, y, m, d), end - timedelta(microseconds=1)


def minute(zone: ZoneInfo, *parts: int) -> tuple[datetime, datetime]:
    start = at(zone, *parts)
    return start, start + MINUTE


# --- an account zone other than the platform's --------------------------------------------

ROWS: list[tuple[str, ZoneInfo, str, tuple[datetime, datetime], str]] = [
    (
        "spareroom",
        LA,
        "12 Mar 2026 14:05:09",
        (at(LA, 2026, 3, 12, 14, 5, 9), at(LA, 2026, 3, 12, 14, 5, 9) + SECOND),
        "day_month",
    ),
    ("spareroom", LA, "Today", day(LA, 2026, 11, 24), "today"),
    ("spareroom", LA, "Today 6:14 AM", minute(LA, 2026, 11, 24, 6, 14), "today"),
    ("spareroom", LA, "Yesterday 11:21 PM PST", minute(LA, 2026, 11, 23, 23, 21), "yesterday"),
    # An abbreviation the zone does not use fixes the offset itself (the US table).
    (
        "spareroom",
        LA,
        "Yesterday 11:21 PM EST",
        (utc(2026, 11, 24, 4, 21), utc(2026, 11, 24, 4, 21) + MINUTE),
        "yesterday",
    ),
    ("spareroom", LONDON, "Today 2:05 PM GMT", minute(LONDON, 2026, 11, 24, 14, 5), "today"),
    ("spareroom", LONDON, "11/23/2026, 3:05 PM", minute(LONDON, 2026, 11, 23, 15, 5), "numeric"),
    ("spareroom", LONDON, "Nov 23", day(LONDON, 2026, 11, 23), "month_day"),
    ("roomies", LA, "Nov 23", day(LA, 2026, 11, 23), "month_day"),
    ("roomies", LA, "2026-03-12T14:05:09.000000Z", (utc(2026, 3, 12, 14, 5, 9),) * 2, "iso"),  # Exact: no zone.
    ("leasebreak", LA, "March 12, 2026 14:05", minute(LA, 2026, 3, 12, 14, 5), "month_day"),
    ("renthop", LONDON, "Mar 12 2:05PM", minute(LONDON, 2026, 3, 12, 14, 5), "month_day"),
    ("renthop", LONDON, "Yesterday", day(LONDON, 2026, 11, 23), "yesterday"),
    ("furnishedfinder", LA, "3:05 AM", minute(LA, 2026, 11, 24, 3, 5), "time"),
    ("furnishedfinder", LONDON, "Monday", day(LONDON, 2026, 11, 23), "weekday"),
    (
        "furnishedfinder",
        LONDON,
        "03/12/2026 01:05:09 PM",
        (at(LONDON, 2026, 3, 12, 13, 5, 9), at(LONDON, 2026, 3, 12, 13, 5, 9) + SECOND),
        "numeric",
    ),
]


@pytest.mark.parametrize(
    ("platform", "zone", "shown", "interval", "form"), ROWS, ids=[f"{r[0]}:{r[1].key}:{r[2]}" for r in ROWS]
)
def test_local_times_resolve_in_the_accounts_zone_not_the_platforms(
    platform: str, zone: ZoneInfo, shown: str, interval: tuple[datetime, datetime], form: str
) -> None:
    stamp = TABLES[platform].parse(shown, now=NOW, zone=zone)
    assert (stamp.earliest, stamp.latest, stamp.form) == (*interval, form)
    assert parse(platform, shown, now=NOW, zone=zone) == stamp
    in_platform_zone = TABLES[platform].parse(shown, now=NOW)
    if form == "iso" or shown.split()[-1] in ZONE_ABBREVIATIONS:
        assert in_platform_zone == stamp  # An exact value or a US abbreviation means the same in any zone.
    else:
        assert in_platform_zone.earliest != stamp.earliest  # The zone matters: the default would be hours off.


def test_a_day_relative_value_read_just_after_the_accounts_midnight_means_the_day_before() -> None:
    just_after = at(LA, 2026, 11, 25, 0, 5)  # 03:05 in New York: long past its midnight.
    stamp = TABLES["spareroom"].parse("Today 11:58 PM", now=just_after, zone=LA)
    assert stamp.earliest == at(LA, 2026, 11, 24, 23, 58)


# --- spring forward: the skipped hour -------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "hour", "gap_in", "fine_in"),
    [
        # 8 March 2026: New York and Los Angeles skip 2:00-3:00 local; London is still on GMT.
        (utc(2026, 3, 8, 18), 2, (NY, LA), LONDON),
        # 29 March 2026: London skips 1:00-2:00; New York has been on EDT for three weeks.
        (utc(2026, 3, 29, 18), 1, (LONDON,), NY),
    ],
)
def test_a_wall_time_the_accounts_zone_skips_is_an_error_and_fine_in_a_zone_that_does_not(
    now: datetime, hour: int, gap_in: tuple[ZoneInfo, ...], fine_in: ZoneInfo
) -> None:
    shown = f"Today {hour}:30 AM"
    for zone in gap_in:
        with pytest.raises(DateFormatError, match=f"does not exist in {zone.key}") as caught:
            TABLES["spareroom"].parse(shown, now=now, zone=zone)
        assert caught.value.value == shown
    stamp = TABLES["spareroom"].parse(shown, now=now, zone=fine_in)
    local = now.astimezone(fine_in)
    assert stamp.earliest == at(fine_in, local.year, local.month, local.day, hour, 30)
    assert stamp.precision == MINUTE


@pytest.mark.parametrize(("zone", "now"), [(LA, utc(2026, 3, 8, 20)), (LONDON, utc(2026, 3, 29, 12))])
def test_today_on_the_day_the_accounts_zone_springs_forward_is_23_hours(zone: ZoneInfo, now: datetime) -> None:
    assert TABLES["spareroom"].parse("Today", now=now, zone=zone).precision == timedelta(hours=23) - timedelta(
        microseconds=1
    )


# --- fall back: the repeated hour -------------------------------------------------------------

#: (zone, a moment late on the day it falls back, the two instants of 1:30 AM that day, its abbreviations)
FOLDS = [
    (LA, utc(2026, 11, 1, 20), (utc(2026, 11, 1, 8, 30), utc(2026, 11, 1, 9, 30)), ("PDT", "PST")),
    (LONDON, utc(2026, 10, 25, 12), (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)), ("BST", "GMT")),
]


@pytest.mark.parametrize(("zone", "now", "instants", "names"), FOLDS, ids=["los_angeles", "london"])
def test_an_ambiguous_time_covers_both_instants_and_reports_like_a_coarse_one(
    zone: ZoneInfo, now: datetime, instants: tuple[datetime, datetime], names: tuple[str, str]
) -> None:
    first, second = instants
    for platform, shown in [
        ("spareroom", "Today 1:30 AM"),
        ("furnishedfinder", "1:30 AM"),
        ("furnishedfinder", "Today 1:30 AM"),
        ("spareroom", f"{now.astimezone(zone):%m/%d/%Y}, 1:30 AM"),
    ]:
        stamp = TABLES[platform].parse(shown, now=now, zone=zone)
        assert (stamp.earliest, stamp.latest) == (first, second + MINUTE), shown
        # Wider than a minute: reported at its latest (never after now), as "Today" or "3d" are.
        assert stamp.sent_at(now) == stamp.latest
        assert stamp.activity() == stamp.latest
        assert stamp.covers(first)
        assert stamp.covers(second)
    # The zone's own abbreviation says which of the two it was.
    summer = TABLES["spareroom"].parse(f"Today 1:30 AM {names[0]}", now=now, zone=zone)
    winter = TABLES["spareroom"].parse(f"Today 1:30 AM {names[1]}", now=now, zone=zone)
    assert (summer.earliest, winter.earliest) == (first, second)
    assert summer.precision == winter.precision == MINUTE
    # And the day is 25 hours long.
    assert TABLES["spareroom"].parse("Today", now=now, zone=zone).precision == timedelta(hours=25) - timedelta(
        microseconds=1
    )


def test_an_ambiguous_time_read_during_the_repeated_hour_is_never_reported_in_the_future() -> None:
    # 1:15 AM PST, the second time round: 1:40 AM has happened once (PDT), not yet twice.
    now = at(LA, 2026, 11, 1, 1, 15, fold=1)
    stamp = TABLES["spareroom"].parse("Today 1:40 AM", now=now, zone=LA)
    assert (stamp.earliest, stamp.latest) == (utc(2026, 11, 1, 8, 40), utc(2026, 11, 1, 9, 40) + MINUTE)
    assert stamp.sent_at(now) == now
    assert TABLES["spareroom"].parse("Today 1:40 AM PDT", now=now, zone=LA).earliest == utc(2026, 11, 1, 8, 40)
    with pytest.raises(DateFormatError, match="future"):  # 1:40 AM PST is still to come.
        TABLES["spareroom"].parse("Today 1:40 AM PST", now=now, zone=LA)


def test_an_ambiguous_yesterday_is_resolved_on_the_day_after() -> None:
    now = utc(2026, 11, 2, 18)
    stamp = TABLES["spareroom"].parse("Yesterday 1:30 AM", now=now, zone=LA)
    assert (stamp.earliest, stamp.latest) == (utc(2026, 11, 1, 8, 30), utc(2026, 11, 1, 9, 30) + MINUTE)


# --- zone abbreviations and offsets -------------------------------------------------------------


def test_the_accounts_zone_knows_its_own_abbreviations_and_offsets() -> None:
    summer = utc(2026, 7, 14, 18)
    assert TABLES["spareroom"].parse("Today 9:14 AM BST", now=summer, zone=LONDON).earliest == utc(2026, 7, 14, 8, 14)
    sao_paulo = ZoneInfo("America/Sao_Paulo")  # Its zone database name for the offset is "-03".
    assert TABLES["spareroom"].parse("Today 9:14 AM -03", now=summer, zone=sao_paulo).earliest == utc(
        2026, 7, 14, 12, 14
    )
    kolkata = ZoneInfo("Asia/Kolkata")  # "IST" is India's here, whatever else it may mean elsewhere.
    assert TABLES["spareroom"].parse("Today 9:14 AM IST", now=summer, zone=kolkata).earliest == utc(2026, 7, 14, 3, 44)
    # A numeric offset stands for itself in any zone.
    assert TABLES["spareroom"].parse("Today 9:14 AM +05:30", now=summer, zone=NY).earliest == utc(2026, 7, 14, 3, 44)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        (NY, "Today 9:14 AM BST"),  # Not New York's abbreviation, nor a US one: nobody knows which BST.
        (LONDON, "Today 9:14 AM XYZ"),
        (LA, "Today 9:14 AM +19"),
        (LA, "Today 9:14 AM sent"),
    ],
)
def test_an_abbreviation_neither_the_zone_nor_the_table_knows_is_an_error_naming_the_value(
    zone: ZoneInfo, shown: str
) -> None:
    with pytest.raises(DateFormatError) as caught:
        TABLES["spareroom"].parse(shown, now=utc(2026, 7, 14, 18), zone=zone)
    assert caught.value.value == shown
    assert repr(shown) in str(caught.value)


# --- what a connector does with the account's zone ---------------------------------------------


class _Runtime:
    """Enough of a browser runtime for a connector that parses values (no page is opened)."""

    def page(self, platform: str, account_id: int) -> Any:
        return SimpleNamespace(url="http://127.0.0.1/spareroom/roommate/mythreads_beta.pl")

    def save_failure(self, *args: Any, **kwargs: Any) -> None:
        return None


def _connector(platform: str, time_zone: str) -> BrowserConnector:
    config = AccountConfig(
        account_id=7,
        platform=platform,
        base_url="http://127.0.0.1/x",
        username="a@example.com",
        credential_ref="",
        time_zone=time_zone,
    )
    connector = connector_classes()[platform](config, runtime=_Runtime(), guard=Guard(account_id=7, platform=platform))  # type: ignore[arg-type]
    connector.read_at = NOW
    return connector


def test_a_connector_reads_local_times_in_the_zone_its_config_carries() -> None:
    pacific, default = _connector("spareroom", "America/Los_Angeles"), _connector("spareroom", "")
    assert (pacific.zone, default.zone) == (LA, NY)
    shown = "12 Mar 2026 14:05:09"
    assert pacific.sent_at_or_drift(shown, "thread.messages.date") == at(LA, 2026, 3, 12, 14, 5, 9)
    assert default.sent_at_or_drift(shown, "thread.messages.date") == at(NY, 2026, 3, 12, 14, 5, 9)
    assert pacific.activity_or_drift("Today", "inbox.rows.date") == day(LA, 2026, 11, 24)[1]


@pytest.mark.parametrize(
    ("platform", "shown", "now"),
    [
        ("spareroom", "Thursday-ish, after lunch", NOW),  # A format nobody foresaw.
        ("spareroom", "Today 2:30 AM", utc(2026, 3, 8, 18)),  # A time the account's zone skipped.
        ("furnishedfinder", "9:14 AM BST", utc(2026, 7, 14, 18)),  # An abbreviation nobody can place.
    ],
)
def test_a_date_the_accounts_zone_cannot_explain_is_selector_drift_naming_the_value(
    platform: str, shown: str, now: datetime
) -> None:
    connector = _connector(platform, "America/Los_Angeles")
    connector.read_at = now
    with pytest.raises(SelectorDrift) as caught:
        connector.sent_at_or_drift(shown, "thread.messages.date")
    assert caught.value.extra["value"] == shown
    assert caught.value.extra["platform"] == platform
    assert repr(shown) in str(caught.value)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "America/New_York ", "../etc/passwd", "EST5EDT/x"])
def test_a_config_with_a_zone_nobody_knows_is_refused_when_built(name: str) -> None:
    with pytest.raises(ValueError, match="not a known time zone"):
        AccountConfig(account_id=1, platform="spareroom", base_url="", username="", credential_ref="", time_zone=name)
