"""Errors the inbox services raise (all in the project's one hierarchy)."""

from __future__ import annotations

from leasebot.core.exceptions import Conflict


class SlotUnavailable(Conflict):
    """The slot is no longer free: booked by someone else, outside availability, or in the past (HTTP 409)."""

    default_message = "that showing slot is no longer available"
