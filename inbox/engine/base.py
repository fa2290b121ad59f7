"""What an engine gets and gives: frozen dataclasses, no models, no database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from inbox.choices import FollowUpStage, Intent, ShowingState, WorkflowOutcome


@dataclasses.dataclass(frozen=True)
class Classification:
    """What the renter wants, as one engine read one message.

    ``intents`` lists every intent found, the primary first; ``picked_slot`` is the index
    (0-based) into the offered slots when the renter picked one; ``reply_suggestion`` is a
    free-text draft an LLM may offer, used only where no template exists and always held.
    """

    intent: str
    intents: tuple[str, ...]
    confidence: float
    extracted: dict[str, Any] = dataclasses.field(default_factory=dict)
    risk_flags: tuple[str, ...] = ()
    picked_slot: int | None = None
    engine: str = "rules"
    engine_detail: str = ""
    reply_suggestion: str = ""
    ambiguous: bool = False


@dataclasses.dataclass(frozen=True)
class UnitFacts:
    """The facts a reply may quote, already formatted for a renter."""

    listing_title: str
    unit_name: str
    address: str
    rent: str
    deposit: str
    available_from: str
    bedrooms: str
    pets_policy: str
    parking: str
    min_lease_months: str
    application_url: str
    booked_address: str = ""
    max_occupants: str = ""


@dataclasses.dataclass(frozen=True)
class ResolvedTemplate:
    """A template chosen for one conversation: its key, version, body and automation rule."""

    key: str
    version: int
    body: str
    auto_send: bool = True
    language: str = "en"


@dataclasses.dataclass(frozen=True)
class DecisionContext:
    """Everything the engine may read about one inbound message, gathered by the service."""

    text: str
    renter_name: str = ""
    facts: UnitFacts | None = None
    workflow_outcome: str = WorkflowOutcome.NEW
    showing_state: str = ShowingState.NONE
    follow_up_stage: str = FollowUpStage.NONE
    lead_profile: dict[str, Any] = dataclasses.field(default_factory=dict)
    offered_slots: tuple[dict[str, Any], ...] = ()
    booked_slot: dict[str, Any] | None = None
    #: The booked showing's start has passed: the renter may be saying how it went.
    booked_started: bool = False
    platform: str = ""
    find_slots: Callable[[], Sequence[dict[str, Any]]] = lambda: ()
    template: Callable[[str], ResolvedTemplate | None] = lambda _key: None
    examples: tuple[tuple[str, str], ...] = ()
    playbook: str = ""
    #: The renter's language (``inbox.choices.Language``): en or es get a reply in it, other is held.
    language: str = "en"


class Engine(Protocol):
    """A classifier of renter messages."""

    name: str

    def classify(self, ctx: DecisionContext) -> Classification:
        """Return what the renter wants."""
        ...


#: Intents after which the bot writes nothing back.
SILENT_INTENTS = frozenset({Intent.OPT_OUT, Intent.NOT_INTERESTED, Intent.SPAM_SCAM, Intent.ABUSIVE})
