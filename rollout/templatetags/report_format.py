"""Figures of the reports page in words people read: durations, not raw seconds; "no data yet", not dashes."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils import dateformat

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Return a length of time as people say it: "45 s", "5 min", "1 h 20 min", "2.5 days"."""
    if seconds is None:
        return "no data yet"
    s = max(0, round(float(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    if s < 86400:
        hours, minutes = divmod(round(s / 60), 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = s / 86400
    return f"{days:.1f} days" if days < 10 else f"{round(days)} days"


@register.simple_tag
def spread(figures: dict[str, Any], low: str, high: str, none: str = "no replies yet") -> str:
    """Return two percentiles of a timing as "p50 20 s · p90 5 min (12)", or ``none`` when there is no data."""
    if not figures or not figures.get("count"):
        return none
    names = {"median_seconds": "median", "p50_seconds": "p50", "p90_seconds": "p90", "p95_seconds": "p95"}
    return f"{names[low]} {duration(figures[low])} · {names[high]} {duration(figures[high])} ({figures['count']})"


@register.filter
def percent(share: float | None, none: str = "no leads") -> str:
    """Return a share (0-1) as a whole percentage, or ``none`` when there was nothing to divide."""
    if share is None:
        return none
    return f"{round(share * 100)}%"


@register.filter
def local_time(moment: dt.datetime, zone: str) -> str:
    """Return an instant as "Sun, Nov 1, 2026, 1:27 AM EDT" in ``zone``, always with the zone's name.

    Django's ``date:"T"`` prints no name for a wall time that a daylight-saving change makes
    ambiguous (the repeated hour each autumn), just when the name is what tells the two
    apart; ``zoneinfo`` knows which side of the change the instant is on.
    """
    local = moment.astimezone(ZoneInfo(zone))
    return f"{dateformat.format(local, 'D, M j, Y, g:i A')} {local.tzname()}"
