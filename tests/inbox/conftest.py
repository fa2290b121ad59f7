"""Fixtures for the inbox tests: a fully described unit with an agent, windows and a linked listing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from inbox.models import Conversation, ListingRef, Message, Unit
from platforms.models import BotSettings, Platform
from tests.inbox.factories import (
    ConversationFactory,
    MessageFactory,
    RuleFactory,
    UnitFactory,
    assigned_agent,
)

#: A Monday in winter (EST), 08:00 New York time: tests freeze time here.
MONDAY_0800_NY = dt.datetime(2027, 1, 11, 13, 0, tzinfo=dt.UTC)


@dataclass
class World:
    """One leasing team's setup: a unit, its agent, the weekly windows, a platform reference."""

    unit: Unit
    agent: Any
    platform: Platform
    ref: ListingRef

    def conversation(self, **kwargs: Any) -> Conversation:
        kwargs.setdefault("listing_ref_seen", self.ref.external_ref)
        kwargs.setdefault("renter_handle", f"renter-{Conversation.objects.count() + 1}")
        return ConversationFactory(**kwargs)

    def inbound(self, body: str, conversation: Conversation | None = None, **kwargs: Any) -> Message:
        conversation = conversation or self.conversation()
        return MessageFactory(conversation=conversation, body=body, **kwargs)


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    unit = UnitFactory()
    agent = assigned_agent(unit, tz="America/New_York", primary=True)
    for weekday in range(7):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(10), end_time=dt.time(18))
        RuleFactory(agent=agent, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17))
    platform = Platform.objects.get(slug="spareroom")
    ref = ListingRef.objects.create(listing=unit.listing, platform=platform, external_ref="SR-100200")
    return World(unit=unit, agent=agent, platform=platform, ref=ref)


@pytest.fixture
def auto_send(db) -> None:  # type: ignore[no-untyped-def]
    """Global auto-send at the full stage: clean replies are queued at once."""
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
