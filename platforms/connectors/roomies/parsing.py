"""Roomies keeps a message's text and direction in Alpine's ``x-data``: parse that, not the markup."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from platforms.connectors.roomies.locators import LOCATORS

_COMPONENT_RE = re.compile(r"^\s*messageItem\((?P<data>.*)\)\s*$", re.S)


def component_data(x_data: str) -> dict[str, Any]:
    """Return the JSON object passed to ``messageItem(...)``."""
    match = _COMPONENT_RE.match(x_data)
    if not match:
        raise ValueError("not a messageItem component")
    try:
        data = json.loads(match.group("data"))
    except RecursionError as exc:  # A hostile page nesting arrays thousands deep.
        raise ValueError("messageItem data nested too deeply") from exc
    if not isinstance(data, dict) or "content" not in data or "id" not in data:
        raise ValueError("messageItem data lacks id or content")
    return data


def parse_time(text: str) -> datetime:
    """Parse Laravel's JSON dates ("2026-03-12T14:05:09.000000Z") into aware UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time without zone")
    return moment.astimezone(UTC)


def thread_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["thread_ref"], href or "")
    if not match:
        raise ValueError("not a thread link")
    return match.group(1)


def listing_ref(href: str) -> str:
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
