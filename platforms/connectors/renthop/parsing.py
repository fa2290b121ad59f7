"""RentHop's values: Unix epoch seconds in ``data-ts``, direction classes, listing ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from platforms.connectors.renthop.locators import LOCATORS


def parse_epoch(text: str) -> datetime:
    """Parse a data-ts epoch; an absurd number is a parse error, not an overflow."""
    try:
        return datetime.fromtimestamp(int(text.strip()), tz=UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"epoch out of range: {text[:20]!r}") from exc


def direction(classes: str) -> str:
    names = set(classes.split())
    if "from-agent" in names:
        return "out"
    if "from-renter" in names:
        return "in"
    raise ValueError("no direction class")


def listing_ref(listing_id: str | None, href: str | None) -> str:
    if listing_id:
        return listing_id
    match = re.search(LOCATORS.facts["listing_ref"], href or "")
    return match.group(1) if match else ""
