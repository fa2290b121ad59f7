"""Furnished Finder's values: dates (the table, Central time), direction by class, ids in query strings."""

from __future__ import annotations

import re

from platforms.connectors.dates import TABLES
from platforms.connectors.furnishedfinder.locators import LOCATORS

#: "03/12/2026 01:05:09 PM"; Stream Chat's "3:05 PM", "Yesterday", "Monday", "11/23/2026" and time[datetime].
DATES = TABLES["furnishedfinder"]


def shown_time(iso: str | None, text: str | None) -> str:
    """The value to parse: the ``datetime`` of a ``time`` element when there is one, else the shown text."""
    return (iso or "").strip() or (text or "").strip()


def direction(classes: str) -> str:
    """The landlord's side is ``msg-right`` (older inbox) or ``str-chat__message--me`` (Stream Chat)."""
    return "out" if set(classes.split()) & {"msg-right", "str-chat__message--me"} else "in"


def message_ref(data_msg_id: str | None, data_message_id: str | None) -> str:
    """The message id from either layout's attribute; neither is a ``ValueError``."""
    ref = (data_msg_id or data_message_id or "").strip()
    if not ref:
        raise ValueError("no message id")
    return ref


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


def renter_handle(href: str | None) -> str:
    """The traveler's id from the link on their name (``members/traveler?id=``); "" without one."""
    match = re.search(LOCATORS.facts["renter_handle"], href or "")
    return match.group(1) if match else ""
