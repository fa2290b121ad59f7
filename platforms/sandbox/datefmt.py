"""How each replica prints a time under the ``date_formats`` trait: the forms its real site uses, by age.

The plain pages print one fixed pattern per page (what the replicas always did). A real
site picks the form by how old the message is: "just now", "2h", "Today 9:14 AM EDT",
"Yesterday", "Monday", "Nov 23", "11/23/2026, 3:05 PM". These functions do that, each
for one page of one site, from the message's time, the moment the page is rendered and
the zone the page prints local times in: the one the account's user set, else the site's
own (``Replica.zone``), as real sites render for the logged-in user. docs/platforms.md says which forms are observed on the real site and
which are modelled. They are written from the sites' side (strftime and the sites' own
rules), independently of the connectors' parser, so a round trip tests both.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _days_back(moment: datetime, now: datetime, zone: str) -> int:
    """Calendar days from the message's local day to the render's local day (0: today)."""
    return (_local(now, zone).date() - _local(moment, zone).date()).days


def clock(local: datetime, *, space: bool = True) -> str:
    """A 12-hour clock time: "3:05 PM" (or "3:05PM")."""
    return f"{local:%-I:%M}{' ' if space else ''}{local:%p}"


# --- SpareRoom (US): the forms a project iterating against the live site had to parse ----


def spareroom_inbox(moment: datetime, now: datetime, zone: str) -> str:
    """The inbox row's date: "Today", "Yesterday" (no time), else "Jan 20 2026"."""
    local = _local(moment, zone)
    back = _days_back(moment, now, zone)
    if back == 0:
        return "Today"
    if back == 1:
        return "Yesterday"
    return f"{local:%b} {local.day} {local.year}"


def spareroom_thread(moment: datetime, now: datetime, zone: str) -> str:
    """A message's date: "Today 3:05 PM EDT", "Yesterday 11:21 PM EST", "February 1 2026 9:14 AM", "11/23/2025, 3:05 PM"."""
    local = _local(moment, zone)
    back = _days_back(moment, now, zone)
    if back == 0:
        return f"Today {clock(local)} {local:%Z}"
    if back == 1:
        return f"Yesterday {clock(local)} {local:%Z}"
    if back < 7:
        return f"{local:%B} {local.day} {local.year} {clock(local)}"
    return f"{local:%m/%d/%Y}, {clock(local)}"


# --- Roomies: a feed-style inbox ----------------------------------------------------------


def roomies_inbox(moment: datetime, now: datetime, zone: str) -> str:
    """ "just now", "5m", "2h", "3d" (floored), then "Nov 23" this year or "Nov 23, 2025"."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 7 * 86400:
        return f"{seconds // 86400}d"
    local = _local(moment, zone)
    if local.year == _local(now, zone).year:
        return f"{local:%b} {local.day}"
    return f"{local:%b} {local.day}, {local.year}"


# --- Leasebreak: Rails' helpers -------------------------------------------------------------


def rails_distance_in_words(moment: datetime, now: datetime) -> str:
    """Rails' ``distance_of_time_in_words`` (``include_seconds: false``), as ``time_ago_in_words`` uses it."""
    minutes = round(max(0.0, (now - moment).total_seconds()) / 60.0)
    if minutes < 1:
        return "less than a minute"
    if minutes < 2:
        return "1 minute"
    if minutes < 45:
        return f"{minutes} minutes"
    if minutes < 90:
        return "about 1 hour"
    if minutes < 1440:
        return f"about {round(minutes / 60.0)} hours"
    if minutes < 2520:
        return "1 day"
    if minutes < 43200:
        return f"{round(minutes / 1440.0)} days"
    if minutes < 86400:
        months = round(minutes / 43200.0)
        return f"about {months} month{'s' if months != 1 else ''}"
    if minutes < 525600:
        return f"{round(minutes / 43200.0)} months"
    years, remainder = divmod(minutes, 525600)
    if remainder < 131400:
        return f"about {years} year{'s' if years != 1 else ''}"
    if remainder < 394200:
        return f"over {years} year{'s' if years != 1 else ''}"
    return f"almost {years + 1} years"


def leasebreak_inbox(moment: datetime, now: datetime, zone: str) -> str:
    """The conversation list: ``time_ago_in_words`` + " ago" ("about 2 hours ago")."""
    return f"{rails_distance_in_words(moment, now)} ago"


def leasebreak_thread(moment: datetime, now: datetime, zone: str) -> str:
    """A message: Rails' default ``:long`` format, "March 12, 2026 14:05"."""
    local = _local(moment, zone)
    return f"{local:%B} {local:%d}, {local.year} {local:%H:%M}"


# --- RentHop: a modelled lead card ------------------------------------------------------------


def renthop_card(moment: datetime, now: datetime, zone: str) -> str:
    """ "just now", "12m ago", "2h ago", "Yesterday", "Mar 12" this year, else "11/23/2025"."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    local = _local(moment, zone)
    if _days_back(moment, now, zone) == 1:
        return "Yesterday"
    if local.year == _local(now, zone).year:
        return f"{local:%b} {local.day}"
    return f"{local:%m/%d/%Y}"


# --- Furnished Finder: Stream Chat's default React components ---------------------------------


def stream_channel_preview(moment: datetime, now: datetime, zone: str) -> str:
    """The channel list's calendar format: "3:05 PM" today, "Yesterday", "Monday" this week, "11/23/2026"."""
    local = _local(moment, zone)
    back = _days_back(moment, now, zone)
    if back == 0:
        return clock(local)
    if back == 1:
        return "Yesterday"
    if 2 <= back <= 6:
        return f"{local:%A}"
    return f"{local:%m/%d/%Y}"


def stream_message_time(moment: datetime, zone: str) -> str:
    """A message's timestamp text, "h:mmA" ("3:05PM"); the element carries the ISO time too."""
    return clock(_local(moment, zone), space=False)


def iso_z(moment: datetime) -> str:
    """``Date.prototype.toISOString()``: "2026-03-12T14:05:09.000Z"."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
