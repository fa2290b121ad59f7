"""RentHop's values: dates (the table: epoch seconds in ``data-ts`` first), direction classes, listing ids."""

from __future__ import annotations

import re

from platforms.connectors.dates import TABLES
from platforms.connectors.renthop.locators import LOCATORS

#: ``data-ts`` (epoch seconds); the shown "Mar 12 2:05PM", "2h ago", "Yesterday", "Mar 12", "11/23/2025".
DATES = TABLES["renthop"]


def shown_time(epoch: str | None, text: str | None) -> str:
    """The value to parse: the epoch when the element carries one, else its text."""
    return (epoch or "").strip() or (text or "").strip()


def direction(classes: str, stated: str | None = None) -> str:
    """``from-agent`` / ``from-renter`` classes, or the redesign's ``data-direction`` (outgoing / incoming)."""
    names = set(classes.split())
    if "from-agent" in names or stated == "outgoing":
        return "out"
    if "from-renter" in names or stated == "incoming":
        return "in"
    raise ValueError("no direction class")


def listing_ref(listing_id: str | None, href: str | None) -> str:
    if listing_id:
        return listing_id
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
