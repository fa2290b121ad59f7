"""Turn what SpareRoom's pages show into values: dates (the table), directions, references, the renter's id."""

from __future__ import annotations

import re

from platforms.connectors.dates import TABLES
from platforms.connectors.spareroom.locators import LOCATORS

#: "12 Mar 2026 14:05:09", "Today", "Yesterday 11:21 PM EST", "11/23/2026, 3:05 PM", "Jan 20 2026", ... (New York).
DATES = TABLES["spareroom"]


def direction(classes: str) -> str:
    """Return "in" or "out" from a message's classes (``thread_in`` / ``thread_out`` / ``message_out``, or
    the redesign's ``message-bubble--received`` / ``message-bubble--sent``)."""
    names = set(classes.split())
    if names & {"thread_out", "message_out", "message-bubble--sent"}:
        return "out"
    if names & {"thread_in", "message-bubble--received"}:
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


def renter_handle(href: str | None) -> str:
    """The renter's id from the link to their "room wanted" ad (``flatshare_id=``); "" without one."""
    match = re.search(LOCATORS.facts["renter_handle"], href or "")
    return match.group(1) if match else ""
