"""The plan for one message, and the draft that builds it: what the planner and its handlers share.

``Plan`` is what the service applies (states, reply text, reason codes); ``Draft`` is the plan
while it is being written: the reply parts so far, with the template values of the conversation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox.choices import Language, ReasonCode
from inbox.engine.base import Classification, DecisionContext, ResolvedTemplate
from inbox.language import es_slot_label
from inbox.templating import render_template

#: Reason codes that put the conversation in front of a human (the rest only hold one reply).
HUMAN_REASONS = frozenset(
    {
        ReasonCode.HIGH_RISK,
        ReasonCode.ABUSIVE,
        ReasonCode.AMBIGUOUS,
        ReasonCode.UNKNOWN_INTENT,
        ReasonCode.UNLINKED,
        ReasonCode.NO_SLOT,
        ReasonCode.NO_TEMPLATE,
        ReasonCode.MISSING_FACT,
        ReasonCode.LOW_CONFIDENCE,
        ReasonCode.SLOT_TAKEN,
        ReasonCode.WORKFLOW_REFUSED,
        ReasonCode.LANGUAGE,
    }
)


@dataclasses.dataclass
class Plan:
    """The engine's full answer for one message, before the service applies it."""

    classification: Classification
    workflow_outcome: str
    showing_state: str
    follow_up_stage: str
    reply_text: str = ""
    templates_used: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    reason_codes: list[str] = dataclasses.field(default_factory=list)
    offered_slots: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    book_slot: dict[str, Any] | None = None
    cancel_booking: bool = False
    #: The renter confirmed the booked showing (``showing_confirm``).
    confirm_showing: bool = False
    #: The renter said how the booked showing went: ``completed`` or ``no_show`` (``showing_mark_outcome``).
    showing_outcome: str = ""
    #: The qualification question this reply asks (a lead-profile key), remembered so it is asked once.
    asked: str = ""
    suppress: bool = False

    def hold(self, code: str) -> None:
        """Add a reason code once."""
        if code not in self.reason_codes:
            self.reason_codes.append(code)

    @property
    def human_required(self) -> bool:
        return any(code in HUMAN_REASONS for code in self.reason_codes)


logger = logging.getLogger(__name__)


def _first_name(name: str) -> str:
    parts = name.strip().split()
    return parts[0].capitalize() if parts and parts[0].isalpha() else "there"


def slot_label(slot: dict[str, Any], language: str = Language.EN) -> str:
    """Return a slot's label in the reply's language (Spanish from its local start, or its start and zone)."""
    if language == Language.ES:
        try:
            if slot.get("local_start"):
                return es_slot_label(dt.datetime.fromisoformat(slot["local_start"]))
            if slot.get("starts_at") and slot.get("timezone"):
                start = dt.datetime.fromisoformat(str(slot["starts_at"]))
                return es_slot_label(start.astimezone(ZoneInfo(slot["timezone"])))
        except (TypeError, ValueError, ZoneInfoNotFoundError):
            # A damaged stored start: the stored (English) label still reads, and the log says why.
            logger.warning("slot label: cannot rebuild the Spanish label from %r; the stored label is used", slot)
    return str(slot.get("label", ""))


def format_slots(slots: list[dict[str, Any]], language: str = Language.EN) -> str:
    """Return the numbered lines renters answer with a number."""
    return "\n".join(f"{i}) {slot_label(slot, language)}" for i, slot in enumerate(slots, 1))


def template_context(ctx: DecisionContext, profile: dict[str, Any]) -> dict[str, str]:
    """Return every template variable's value for this conversation ('' where unknown)."""
    values: dict[str, str] = {
        "renter_name": ctx.renter_name.strip() or "there",
        "first_name": _first_name(ctx.renter_name),
        "move_in_date": str(profile.get("move_in_date", "")),
        "pets_mentioned": "" if profile.get("pets") in (None, "none") else str(profile.get("pets", "")),
    }
    if ctx.facts is not None:
        values.update(
            {f.name: getattr(ctx.facts, f.name) for f in dataclasses.fields(ctx.facts) if f.name != "booked_address"}
        )
    if ctx.booked_slot:
        values["slot"] = slot_label(ctx.booked_slot, ctx.language)
    return values


class Draft:
    """A plan being written: template parts collected into one reply, with the templates (and versions) used.

    ``profile`` is the lead profile with what this message added; the template values are
    worked out on first use, so a message that gets no reply never renders anything.
    """

    def __init__(self, ctx: DecisionContext, plan: Plan, profile: dict[str, Any]) -> None:
        self.ctx, self.plan, self.profile = ctx, plan, profile
        self.parts: list[str] = []

    @functools.cached_property
    def values(self) -> dict[str, str]:
        """Return the template variables' values for this conversation."""
        return template_context(self.ctx, self.profile)

    def add(self, key: str, **extra: str) -> bool:
        """Render the template ``key`` into the reply; hold the plan when it is missing, incomplete or reviewed."""
        template: ResolvedTemplate | None = self.ctx.template(key)
        if template is None:
            # No text in the renter's language: a person answers (never a gap filled from another language).
            self.plan.hold(ReasonCode.NO_TEMPLATE if self.ctx.language == Language.EN else ReasonCode.LANGUAGE)
            return False
        text, missing = render_template(template.body, {**self.values, **extra})
        if missing:
            self.plan.hold(ReasonCode.MISSING_FACT)
        if not template.auto_send:
            self.plan.hold(ReasonCode.TEMPLATE_REVIEW)
        self.plan.templates_used.append((template.key, template.version))
        if text:
            self.parts.append(text)
        return True

    def text(self) -> str:
        """Return the reply written so far."""
        return "\n\n".join(part for part in self.parts if part)
