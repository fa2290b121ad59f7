"""Property: what a replica prints, the connector's date table reads back, within the form's precision.

The replicas format times from the site's side (``platforms/sandbox/datefmt.py`` and their
plain formats); the connectors parse them with ``platforms/connectors/dates.py``. For any
message time and render time (biased towards New York's and Chicago's DST changes), the
parsed interval must contain the real time and be no wider than the shown form allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from platforms.connectors.dates import RELATIVE_SLACK, TABLES
from platforms.sandbox import datefmt
from platforms.sandbox.render import Profile
from platforms.sandbox.replicas import FurnishedFinder, Leasebreak, RentHop, Roomies, SpareRoom
from platforms.sandbox.replicas.furnishedfinder import TIME_FORMAT
from platforms.sandbox.state import Account, SandboxState

STATE = SandboxState()
PLAIN = Account("x", "agent@example.com", "pw", "Agent", profile=Profile())
DATES = Account("x", "agent@example.com", "pw", "Agent", profile=Profile(name="pinned", traits={"date_formats": {}}))

Formatter = Callable[[datetime, datetime], str]
sr, ro, lb = SpareRoom(STATE), Roomies(STATE), Leasebreak(STATE)
NYC, CHI = RentHop.timezone, FurnishedFinder.timezone

#: (platform, what prints it): every way a replica prints a time, plain and realistic.
PRINTERS: list[tuple[str, str, Formatter]] = [
    ("spareroom", "plain", lambda m, n: sr.when(PLAIN, m, n, page="thread")),
    ("spareroom", "inbox", lambda m, n: sr.when(DATES, m, n, page="inbox")),
    ("spareroom", "thread", lambda m, n: sr.when(DATES, m, n, page="thread")),
    ("roomies", "createdAt", lambda m, n: m.strftime("%Y-%m-%dT%H:%M:%S.000000Z")),
    ("roomies", "plain inbox", lambda m, n: ro.when(PLAIN, m, n)),
    ("roomies", "inbox", lambda m, n: ro.when(DATES, m, n)),
    ("leasebreak", "datetime", lambda m, n: lb.local(m, PLAIN).isoformat()),
    ("leasebreak", "plain inbox text", lambda m, n: lb.when(PLAIN, m, n, page="inbox")),
    ("leasebreak", "plain thread", lambda m, n: lb.when(PLAIN, m, n, page="thread")),
    ("leasebreak", "inbox", lambda m, n: lb.when(DATES, m, n, page="inbox")),
    ("leasebreak", "thread", lambda m, n: lb.when(DATES, m, n, page="thread")),
    ("renthop", "data-ts", lambda m, n: str(int(m.timestamp()))),
    ("renthop", "plain card", lambda m, n: f"{m.astimezone(ZoneInfo(NYC)):%b %-d %-I:%M%p}"),
    ("renthop", "plain bubble", lambda m, n: f"{m.astimezone(ZoneInfo(NYC)):%b %-d, %-I:%M %p}"),
    ("renthop", "card", lambda m, n: datefmt.renthop_card(m, n, NYC)),
    ("furnishedfinder", "plain", lambda m, n: m.astimezone(ZoneInfo(CHI)).strftime(TIME_FORMAT)),
    ("furnishedfinder", "inbox", lambda m, n: datefmt.stream_channel_preview(m, n, CHI)),
    ("furnishedfinder", "time[datetime]", lambda m, n: datefmt.iso_z(m)),
]

assert PRINTERS[10][:2] == ("leasebreak", "thread")
#: Plain texts without a year, behind an exact value the connectors prefer (datetime, data-ts).
YEARLESS = {"plain card", "plain bubble", "plain inbox text"}

#: New York's and Chicago's DST changes around the years drawn (UTC instants).
DST_EDGES = [
    datetime(year, month, day, hour, tzinfo=UTC)
    for year, spring, fall in ((2025, 9, 2), (2026, 8, 1), (2027, 14, 7))
    for month, day in ((3, spring), (11, fall))
    for hour in (6, 7, 8)  # 2 AM local in New York and Chicago, in both offsets.
]

INSTANTS = st.one_of(
    st.integers(
        min_value=int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()),
        max_value=int(datetime(2027, 12, 31, tzinfo=UTC).timestamp()),
    ).map(lambda seconds: datetime.fromtimestamp(seconds, tz=UTC)),
    st.builds(
        lambda edge, seconds: edge + timedelta(seconds=seconds),
        st.sampled_from(DST_EDGES),
        st.integers(min_value=-6 * 3600, max_value=30 * 3600),
    ),
)
AGES = st.one_of(
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=3 * 3600),
    st.integers(min_value=0, max_value=8 * 86400),
    st.integers(min_value=0, max_value=800 * 86400),
).map(lambda s: timedelta(seconds=s))

_UNIT = {"m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400, "month": 30 * 86400}
_UNIT |= {"year": 365 * 86400}


def _ambiguous(moment: datetime, zone: str) -> bool:
    wall = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    first, second = (wall.replace(tzinfo=ZoneInfo(zone), fold=f).utcoffset() for f in (0, 1))
    return first != second


def widest(platform: str, shown: str, form: str, moment: datetime) -> timedelta:
    """The widest interval the shown value may honestly stand for."""
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
        zone = TABLES[platform].zone_name
        if re.search(r"\b[ECMP][SD]T$", shown) or not _ambiguous(moment, zone):
            return timedelta(minutes=1)
        return timedelta(hours=1, minutes=1)
    return timedelta(hours=25)


@settings(max_examples=400, deadline=None)
@given(now=INSTANTS, age=AGES, printer=st.sampled_from(PRINTERS))
@example(  # Fall back in New York: 1:30 AM happens twice.
    now=datetime(2026, 11, 1, 12, tzinfo=UTC), age=timedelta(hours=6, minutes=30), printer=PRINTERS[10]
)
def test_what_a_replica_prints_the_connector_reads_back_within_its_precision(
    now: datetime, age: timedelta, printer: tuple[str, str, Formatter]
) -> None:
    platform, where, fmt = printer
    if where in YEARLESS:  # "Mar 12, 2:05 PM" names no year: only within a year does it say which.
        assume(age < timedelta(days=300))
    moment = now - age
    shown = fmt(moment, now)
    stamp = TABLES[platform].parse(shown, now=now)
    assert stamp.covers(moment), (shown, stamp)
    assert stamp.precision <= widest(platform, shown, stamp.form, moment), (shown, stamp)
    reported = stamp.sent_at(now)
    assert reported <= now
    assert abs(reported - moment) <= stamp.precision


@settings(max_examples=200, deadline=None)
@given(
    now=INSTANTS,
    age=AGES,
    lag=st.integers(min_value=0, max_value=60),
    printer=st.sampled_from([p for p in PRINTERS if p[:2] in (("roomies", "plain inbox"), ("roomies", "inbox"))]),
)
def test_a_relative_time_read_a_little_after_it_was_rendered_still_covers_the_message(
    now: datetime, age: timedelta, lag: int, printer: tuple[str, str, Formatter]
) -> None:
    """ "5m" rendered at one moment and read up to a minute later (the page loaded, then read)."""
    platform, _where, fmt = printer
    moment = now - age
    stamp = TABLES[platform].parse(fmt(moment, now), now=now + timedelta(seconds=lag))
    assert stamp.covers(moment)
