"""Validators every layer shares (a time zone name, for now).

The connector layer checks values without Django (``zone_named``); models use the
Django validator (``validate_timezone``), which says the same thing as a form error.
"""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """Return the IANA zone called ``name``; ValueError for a name the zone database does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a known time zone (e.g. America/New_York).") from exc


def validate_timezone(value: str) -> None:
    """Refuse a time zone name the IANA database does not know."""
    try:
        zone_named(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
