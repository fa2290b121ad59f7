"""Quiet hours: a message the bot starts on its own (a follow-up) never goes out at night.

The window is read in the unit's zone (else the account's, else UTC) from the account's
``QuietHours`` row, else from ``settings.LEASEBOT_QUIET_HOURS`` ("21:00-08:00"; "" for none). A
window whose end is before its start runs past midnight. Replies to a renter are not delayed:
the renter just wrote. Wall times are turned into instants through ``zoneinfo``, so the window
follows daylight saving (21:00 is 21:00 local on both sides of a change).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist

from inbox.models import Conversation
from leasebot.core.validators import zone_named

_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclasses.dataclass(frozen=True)
class QuietWindow:
    """A daily quiet window in one zone: from ``starts`` to ``ends`` local time."""

    starts: dt.time
    ends: dt.time
    zone: zoneinfo.ZoneInfo

    def until(self, moment: dt.datetime) -> dt.datetime | None:
        """Return when the window that ``moment`` falls in ends (UTC), or None outside it."""
        local = moment.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        if self.starts < self.ends:
            inside, end_day = self.starts <= clock < self.ends, local.date()
        elif clock >= self.starts:
            inside, end_day = True, local.date() + dt.timedelta(days=1)
        else:
            inside, end_day = clock < self.ends, local.date()
        if not inside:
            return None
        # Through UTC so an end in a spring-forward gap maps to a real instant.
        return dt.datetime.combine(end_day, self.ends, tzinfo=self.zone).astimezone(dt.UTC)

    def postpone(self, moment: dt.datetime) -> dt.datetime:
        """Return ``moment``, or the end of the quiet window it falls in."""
        return self.until(moment) or moment


def parse_window(value: str) -> tuple[dt.time, dt.time] | None:
    """Return (starts, ends) of an "HH:MM-HH:MM" window, None for ""; ValueError for anything else."""
    if not value.strip():
        return None
    found = _WINDOW_RE.match(value)
    if found is None:
        raise ValueError(f"{value!r} is not a quiet window like 21:00-08:00.")
    hours_a, minutes_a, hours_b, minutes_b = (int(part) for part in found.groups())
    try:
        starts, ends = dt.time(hours_a, minutes_a), dt.time(hours_b, minutes_b)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a quiet window like 21:00-08:00: {exc}.") from exc
    if starts == ends:
        raise ValueError(f"{value!r}: a quiet window must start and end at different times.")
    return starts, ends


def default_window() -> tuple[dt.time, dt.time] | None:
    """Return the default window from settings (for accounts without their own)."""
    try:
        return parse_window(settings.LEASEBOT_QUIET_HOURS)
    except ValueError as exc:
        raise ImproperlyConfigured(f"LEASEBOT_QUIET_HOURS: {exc}") from exc


def conversation_quiet_window(conversation: Conversation) -> QuietWindow | None:
    """Return the quiet window that applies to a conversation, or None when it has none."""
    try:
        own = conversation.account.quiet_hours
    except ObjectDoesNotExist:
        own = None
    if own is not None and not own.is_active:
        return None
    window = (own.starts, own.ends) if own is not None else default_window()
    if window is None:
        return None
    zone_name = (
        (own.time_zone if own is not None else "")
        or (conversation.unit.timezone if conversation.unit is not None else "")
        or conversation.account.time_zone
        or "UTC"
    )
    return QuietWindow(window[0], window[1], zone_named(zone_name))


def quiet_hours_postpone(conversation: Conversation, moment: dt.datetime) -> dt.datetime:
    """Return ``moment``, or the end of the conversation's quiet window when it falls inside."""
    window = conversation_quiet_window(conversation)
    return window.postpone(moment) if window is not None else moment
