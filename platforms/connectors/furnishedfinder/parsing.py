"""Furnished Finder's values: US-style local times (Central), direction by class, ids in query strings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from platforms.connectors.furnishedfinder.locators import LOCATORS

ZONE = ZoneInfo(LOCATORS.facts["timezone"])


def parse_time(text: str) -> datetime:
    return datetime.strptime(" ".join(text.split()), LOCATORS.facts["date_format"]).replace(tzinfo=ZONE).astimezone(UTC)


def direction(classes: str) -> str:
    return "out" if "msg-right" in classes.split() else "in"


def thread_ref(data_id: str | None, href: str | None) -> str:
    if data_id:
        return data_id
    match = re.search(LOCATORS.facts["thread_ref"], href or "")
    if not match:
        raise ValueError("no thread id")
    return match.group(1)


def listing_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
