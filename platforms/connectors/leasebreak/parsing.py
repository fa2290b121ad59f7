"""Leasebreak's values: ISO 8601 ``datetime`` attributes, BEM-ish direction classes, listing ids in URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from platforms.connectors.leasebreak.locators import LOCATORS


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError("time without zone")
    return moment.astimezone(UTC)


def direction(classes: str) -> str:
    names = set(classes.split())
    if "message--mine" in names:
        return "out"
    if "message--theirs" in names:
        return "in"
    raise ValueError("no direction class")


def listing_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
