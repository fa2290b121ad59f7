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
    """``message--mine`` / ``message--theirs`` (classic) or ``sent`` / ``received`` (the redesign)."""
    names = set(classes.split())
    if names & {"message--mine", "sent"}:
        return "out"
    if names & {"message--theirs", "received"}:
        return "in"
    raise ValueError("no direction class")


def ref(data_id: str | None, dom_id: str | None, fact: str) -> str:
    """An id from its data attribute, else from Rails' ``dom_id`` ("message_12"); neither is a ``ValueError``."""
    if data_id and data_id.strip().isdigit():
        return data_id.strip()
    match = re.fullmatch(LOCATORS.facts[fact], (dom_id or "").strip())
    if not match:
        raise ValueError("no id")
    return match.group(1)


def listing_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
