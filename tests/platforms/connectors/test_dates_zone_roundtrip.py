"""Property: what a replica prints for an account in any zone, the connector's table reads back in that zone.

The replicas print local times in the zone the account's user set (``Replica.zone``); the
connectors parse them in the zone their config carries. For any zone (some with DST, one
south of the equator, one with a half-hour DST change, some without DST), any message
time and any render time (biased towards that zone's own DST changes), every way a
replica prints a time parses back to a stamp that contains the message's time, no wider
than the shown form allows, and reported no later than "now".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from platforms.connectors.dates import RELATIVE_SLACK, TABLES, ZONE_ABBREVIATIONS
from platforms.sandbox import datefmt
from platforms.sandbox.render import Profile
from platforms.sandbox.replicas import FurnishedFinder, Leasebreak, RentHop, Roomies, SpareRoom
from platforms.sandbox.replicas.furnishedfinder import TIME_FORMAT
from platforms.sandbox.state import Account, SandboxState

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",  # DST from October to April.
    "Australia/Lord_Howe",  # A half-hour DST change; the zone database names it "+1030" / "+11".
    "America/Sao_Paulo",  # No DST since 2019; named "-03".
    "Asia/Kolkata",  # Half-hour offset, no DST; named "IST".
]
START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC)

STATE = SandboxState()
sr, ro, lb, rh, ff = SpareRoom(STATE), Roomies(STATE), Leasebreak(STATE), RentHop(STATE), FurnishedFinder(STATE)

Printer = Callable[[Account, datetime, datetime], str]
#: (platform, what prints it, how): every way a replica prints a time, for an account (plain, or with date_formats).
PRINTERS: list[tuple[str, str, Printer]] = [
    ("spareroom", "plain", lambda a, m, n: sr.when(a, m, n, page="thread")),
    ("spareroom", "inbox", lambda a, m, n: sr.when(a, m, n, page="inbox")),
    ("spareroom", "thread", lambda a, m, n: sr.when(a, m, n, page="thread")),
    ("roomies", "createdAt", lambda a, m, n: m.strftime("%Y-%m-%dT%H:%M:%S.000000Z")),
    ("roomies", "inbox", lambda a, m, n: ro.when(a, m, n)),
    ("leasebreak", "datetime", lambda a, m, n: lb.local(m, a).isoformat()),
    ("leasebreak", "inbox text", lambda a, m, n: lb.when(a, m, n, page="inbox")),
    ("leasebreak", "thread", lambda a, m, n: lb.when(a, m, n, page="thread")),
    ("renthop", "data-ts", lambda a, m, n: str(int(m.timestamp()))),
    ("renthop", "plain card", lambda a, m, n: f"{rh.local(m, a):%b %-d %-I:%M%p}"),
    ("renthop", "plain bubble", lambda a, m, n: f"{rh.local(m, a):%b %-d, %-I:%M %p}"),
    ("renthop", "card", lambda a, m, n: datefmt.renthop_card(m, n, rh.zone(a))),
    ("furnishedfinder", "plain", lambda a, m, n: ff.local(m, a).strftime(TIME_FORMAT)),
    ("furnishedfinder", "inbox", lambda a, m, n: datefmt.stream_channel_preview(m, n, ff.zone(a))),
    ("furnishedfinder", "time[datetime]", lambda a, m, n: datefmt.iso_z(m)),
]
#: Plain texts without a year, behind an exact value the connectors prefer (datetime, data-ts).
YEARLESS = {"plain card", "plain bubble", "inbox text"}


@cache
def dst_changes(zone: str) -> list[datetime]:
    """The instants (UTC) the zone's offset changes between START and END, to the hour."""
    tz, found = ZoneInfo(zone), []
    moment = START
    while moment < END:
        later = moment + timedelta(hours=1)
        if moment.astimezone(tz).utcoffset() != later.astimezone(tz).utcoffset():
            found.append(later)
        moment = later
    return found


def instants(zone: str) -> st.SearchStrategy[datetime]:
    uniform = st.integers(min_value=int(START.timestamp()), max_value=int(END.timestamp())).map(
        lambda seconds: datetime.fromtimestamp(seconds, tz=UTC)
    )
    edges = dst_changes(zone)
    if not edges:
        return uniform
    near = st.builds(
        lambda edge, seconds: edge + timedelta(seconds=seconds),
        st.sampled_from(edges),
        st.integers(min_value=-6 * 3600, max_value=30 * 3600),
    )
    return st.one_of(uniform, near)


ZONED_NOW = st.sampled_from(ZONES).flatmap(lambda zone: st.tuples(st.just(zone), instants(zone)))
AGES = st.one_of(
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=3 * 3600),
    st.integers(min_value=0, max_value=8 * 86400),
    st.integers(min_value=0, max_value=800 * 86400),
).map(lambda s: timedelta(seconds=s))

_UNIT = {"m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400, "month": 30 * 86400}
_UNIT |= {"year": 365 * 86400}


def _fold_width(moment: datetime, zone: str) -> timedelta:
    """How far apart the two instants of the message's wall time are (0 outside the hour DST gives back)."""
    wall = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    first, second = (wall.replace(tzinfo=ZoneInfo(zone), fold=f).utcoffset() for f in (0, 1))
    assert first is not None
    assert second is not None
    return abs(first - second)


def widest(shown: str, form: str, moment: datetime, zone: str) -> timedelta:
    """The widest interval the shown value may honestly stand for, printed in ``zone``."""
    if form in ("iso", "epoch"):
        return timedelta(0)
    if form == "just_now":
        return timedelta(minutes=1) + RELATIVE_SLACK
    if form == "ago":
        found = re.search(r"(\d+|an?)\s*(minute|hour|day|month|year|m|h|d)", shown)
        assert found is not None, shown
        count = 1 if found[1] in ("a", "an") else int(found[1])
        extra = timedelta(days=3) * (count + 1) if found[2] in ("month", "year") else timedelta(0)
        return timedelta(seconds=_UNIT[found[2]] * 2) + RELATIVE_SLACK + extra
    if ":" in shown:
        last = shown.split()[-1].upper()
        if last in ZONE_ABBREVIATIONS or re.fullmatch(r"[A-Z]{3,5}|[+-]\d{2,4}", last):
            return timedelta(minutes=1)  # The value names its zone or offset: one instant.
        return timedelta(minutes=1) + _fold_width(moment, zone)
    return timedelta(hours=25)


@settings(max_examples=500, deadline=None)
@given(zoned=ZONED_NOW, age=AGES, printer=st.sampled_from(PRINTERS), realistic=st.booleans())
@example(  # Los Angeles falls back: 1:30 AM happens twice; the thread prints it without a zone.
    zoned=("America/Los_Angeles", datetime(2026, 11, 10, 12, tzinfo=UTC)),
    age=timedelta(days=9, hours=3, minutes=30),
    printer=PRINTERS[7],
    realistic=True,
)
@example(  # London springs forward while New York is three weeks into summer time.
    zoned=("Europe/London", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    age=timedelta(minutes=31),
    printer=PRINTERS[2],
    realistic=True,
)
@example(  # Lord Howe falls back half an hour.
    zoned=("Australia/Lord_Howe", datetime(2026, 4, 5, 12, tzinfo=UTC)),
    age=timedelta(hours=27),
    printer=PRINTERS[12],
    realistic=False,
)
def test_what_a_replica_prints_in_the_accounts_zone_reads_back_to_a_stamp_containing_the_instant(
    zoned: tuple[str, datetime], age: timedelta, printer: tuple[str, str, Printer], realistic: bool
) -> None:
    zone, now = zoned
    platform, where, fmt = printer
    if where in YEARLESS:  # "Mar 12, 2:05 PM" names no year: only within a year does it say which.
        assume(age < timedelta(days=300))
    profile = Profile(name="pinned", traits={"date_formats": {}}) if realistic else Profile()
    account = Account(platform, "agent@example.com", "pw", "Agent", profile=profile, time_zone=zone)
    moment = now - age
    shown = fmt(account, moment, now)
    stamp = TABLES[platform].parse(shown, now=now, zone=ZoneInfo(zone))
    assert stamp.covers(moment), (zone, shown, stamp)
    assert stamp.precision <= widest(shown, stamp.form, moment, zone), (zone, shown, stamp)
    reported = stamp.sent_at(now)
    assert reported <= now
    assert abs(reported - moment) <= stamp.precision
