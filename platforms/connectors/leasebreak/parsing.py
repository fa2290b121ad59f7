"""Leasebreak's values: dates (the table: ``time[datetime]`` first), BEM-ish direction classes, listing ids."""

from __future__ import annotations

import re

from platforms.connectors.dates import TABLES
from platforms.connectors.leasebreak.locators import LOCATORS

#: ``time[datetime]`` (ISO with offset); its text "Mar 12, 2:05 PM", "March 12, 2026 14:05", "about 2 hours ago".
DATES = TABLES["leasebreak"]


def shown_time(datetime_attr: str | None, text: str | None) -> str:
    """The value to parse: the ``datetime`` attribute when the element has one, else the element's text."""
    return (datetime_attr or "").strip() or (text or "").strip()


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
