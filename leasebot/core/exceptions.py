"""One error hierarchy for the whole project.

Every error carries an ``extra`` dict with machine-readable context (never a secret or
personal data), so tasks, the DRF exception handler, audit rows and metrics can all
read the same facts.
"""

from __future__ import annotations

from typing import Any


class LeasebotError(Exception):
    """Base of every error lease-bot raises on purpose."""

    default_message = "lease-bot error"

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra: dict[str, Any] = extra
        super().__init__(self.message)

    @property
    def error_class(self) -> str:
        """Return the short class name used in ledgers, audit rows and metric labels."""
        return type(self).__name__


class ValidationFailed(LeasebotError):
    """A service refused its input; the message says why (HTTP 400)."""

    default_message = "invalid input"


class NotAllowed(LeasebotError):
    """A state or policy forbids the action (HTTP 409)."""

    default_message = "action not allowed in the current state"


class Conflict(LeasebotError):
    """The request clashes with an earlier one, e.g. a reused idempotency key (HTTP 409)."""

    default_message = "conflict with an earlier request"
