"""Turn what SpareRoom's pages show into values: local times, directions, references."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from platforms.connectors.spareroom.locators import LOCATORS

ZONE = ZoneInfo(LOCATORS.facts["timezone"])


def parse_time(text: str) -> datetime:
    """Parse "12 Mar 2026 14:05:09" (shown in New York time) into an aware UTC datetime."""
    return datetime.strptime(" ".join(text.split()), LOCATORS.facts["date_format"]).replace(tzinfo=ZONE).astimezone(UTC)


def direction(classes: str) -> str:
    """Return "in" or "out" from a message's classes (``thread_in`` / ``thread_out`` / ``message_out``)."""
    names = set(classes.split())
    if names & {"thread_out", "message_out"}:
        return "out"
    if "thread_in" in names:
        return "in"
    raise ValueError("no direction class")


def message_ref(element_id: str) -> str:
    """Return the platform's message id from ``msg_<id>``."""
    match = re.fullmatch(r"msg_(\d+)", element_id.strip())
    if not match:
        raise ValueError("not a message id")
    return match.group(1)


def listing_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
