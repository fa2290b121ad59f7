"""Why a reply waits for a person, or why a conversation does: one typed value, stored as such.

A hold reason is ``(code, category, detail)``: the ``code`` is a :class:`ReasonCode`, the
``category`` narrows it where a code has kinds (a guardrail's category), and the ``detail``
is free text for the agent. Outbound rows keep a list of them in ``hold_reasons`` and
conversations in ``human_reasons``, as JSON objects validated by pydantic on the way in and
out; nothing parses a reason out of a string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from inbox.choices import ReasonCode
from leasebot.core.exceptions import ValidationFailed

DETAIL_MAX = 300


class HoldReason(BaseModel):
    """One reason, immutable; equal reasons (same code, category and detail) count once."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: ReasonCode
    category: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=DETAIL_MAX)

    @classmethod
    def of(cls, code: ReasonCode | str, detail: str = "", *, category: str = "") -> HoldReason:
        """Build a reason, trimming an over-long detail rather than refusing it."""
        return cls(code=ReasonCode(code), category=category, detail=(detail or "")[:DETAIL_MAX])

    @property
    def label(self) -> str:
        """The reason in words for agents: the code's label, its category, then the detail."""
        text = ReasonCode(self.code).label
        if self.category:
            text += f" ({self.category})"
        return f"{text}: {self.detail}" if self.detail else text

    def as_json(self) -> dict[str, str]:
        return {"code": str(self.code), "category": self.category, "detail": self.detail}


_LIST = TypeAdapter(list[HoldReason])


def load(stored: Any) -> list[HoldReason]:
    """Read a stored list of reasons; a damaged value is a clear error, never a silent pass."""
    try:
        return _LIST.validate_python(stored or [])
    except ValidationError as exc:
        raise ValidationFailed(f"stored hold reasons are not valid: {exc.error_count()} error(s)") from exc


def dump(reasons: Iterable[HoldReason]) -> list[dict[str, str]]:
    """Return reasons as JSON, in order, without repeats."""
    return [r.as_json() for r in dict.fromkeys(reasons)]


def merged(stored: Any, new: Iterable[HoldReason]) -> list[dict[str, str]]:
    """Return the stored reasons with the new ones appended (nothing overwritten, no repeats)."""
    return dump([*load(stored), *new])


def without(stored: Any, code: ReasonCode) -> list[dict[str, str]]:
    """Return the stored reasons less those of one code."""
    return dump(r for r in load(stored) if r.code != code)


def codes(stored: Any) -> list[str]:
    """Return the codes of stored reasons, in order."""
    return [str(r.code) for r in load(stored)]


def has(stored: Any, code: ReasonCode) -> bool:
    """Return whether a stored list holds a reason of this code."""
    return any(r.code == code for r in load(stored))


def contains_code(code: ReasonCode) -> list[dict[str, str]]:
    """A JSON containment value for querysets: ``hold_reasons__contains=contains_code(...)``."""
    return [{"code": str(code)}]


def summary(stored: Any, *, limit: int = 200) -> str:
    """Codes and categories only, joined, for a notice or a log line: details may quote a renter."""
    return ", ".join(dict.fromkeys(f"{r.code}:{r.category}" if r.category else str(r.code) for r in load(stored)))[
        :limit
    ]
