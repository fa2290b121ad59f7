"""Roomies keeps a message's text and direction in Alpine's ``x-data``: parse that, not the markup."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from platforms.connectors.dates import TABLES
from platforms.connectors.jsdata import parse_js_data
from platforms.connectors.roomies.locators import LOCATORS

#: createdAt (ISO, "2026-03-12T14:05:09.000000Z"); the inbox's "2 hours ago", "2h", "just now", "Nov 23".
DATES = TABLES["roomies"]

_COMPONENT_RE = re.compile(r"^\s*messageItem\((?P<data>.*)\)\s*$", re.S)


def component_data(x_data: str) -> dict[str, Any]:
    """Return the data passed to ``messageItem(...)``: JSON, a JavaScript object literal or ``JSON.parse('...')``."""
    match = _COMPONENT_RE.match(x_data)
    if not match:
        raise ValueError("not a messageItem component")
    data = parse_js_data(match.group("data"))
    if not isinstance(data, dict) or "content" not in data or "id" not in data:
        raise ValueError("messageItem data lacks id or content")
    return data


def message_fields(raw: Mapping[str, str | None]) -> dict[str, Any]:
    """Return a message's data from either layout: Alpine's ``x-data``, or the redesign's attributes and text.

    Both give the component's shape (``id``, ``content``, ``isSender``, ``createdAt``, ``user``);
    a message with neither complete form is a format nobody foresaw (``ValueError``).
    """
    if raw.get("data"):
        return component_data(str(raw["data"]))
    ref, side, created = raw.get("id"), raw.get("is_sender"), raw.get("created_at")
    if not ref or side not in ("true", "false") or not created or raw.get("body") is None:
        raise ValueError("a message without component data or its attributes")
    user: dict[str, Any] = {"name": raw.get("sender") or ""}
    if raw.get("user_id"):
        user["id"] = raw["user_id"]
    return {"id": ref, "content": raw["body"], "isSender": side == "true", "createdAt": created, "user": user}


def renter_handle(data: dict[str, Any], profile_href: str | None) -> str:
    """The sender's member id: ``user.id`` in the component data, else the header's ``/profiles/<id>`` link."""
    user = data.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), int | str) and not isinstance(user.get("id"), bool):
        handle = str(user["id"]).strip()
        if re.fullmatch(r"[\w-]{1,64}", handle):
            return handle
    match = re.search(LOCATORS.facts["profile_ref"], profile_href or "")
    return match.group(1) if match else ""


def thread_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["thread_ref"], href or "")
    if not match:
        raise ValueError("not a thread link")
    return match.group(1)


def listing_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
