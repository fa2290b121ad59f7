"""factory-boy factories for every inbox model (users and accounts come from tests/platforms/factories.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from inbox.models import (
    AgentProfile,
    AvailabilityRule,
    Conversation,
    Listing,
    Message,
    OutboundMessage,
    Showing,
    Unit,
    UnitAssignment,
)
from tests.platforms.factories import AgentFactory, PlatformAccountFactory, UserFactory

__all__ = [
    "AgentProfileFactory",
    "AssignmentFactory",
    "ConversationFactory",
    "ListingFactory",
    "MessageFactory",
    "OutboundFactory",
    "RuleFactory",
    "ShowingFactory",
    "UnitFactory",
    "assigned_agent",
]


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    title = factory.Sequence(lambda n: f"Sunny room {n} in Brooklyn")
    address = factory.Sequence(lambda n: f"{n} Bedford Ave, Brooklyn, NY")


class UnitFactory(factory.django.DjangoModelFactory):
    """A unit with every fact a reply quotes (callers that need none of them ignore them)."""

    class Meta:
        model = Unit

    listing = factory.SubFactory(ListingFactory)
    name = factory.Sequence(lambda n: f"Apt {n}B")
    address = factory.Sequence(lambda n: f"{100 + n} Bedford Ave, Brooklyn, NY 11211")
    timezone = "America/New_York"
    rent = Decimal("2450.00")
    deposit = Decimal("2450.00")
    available_from = dt.date(2027, 3, 1)
    bedrooms = 1
    pets_policy = "cats and small dogs are welcome with a $300 pet deposit"
    parking = "street parking, and a garage spot for $150 a month"
    min_lease_months = 12
    application_url = "https://apply.example.test/u/1"
    showing_duration_minutes = 30
    showing_buffer_minutes = 15


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory, role="agent")
    timezone = "America/New_York"


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitAssignment

    unit = factory.SubFactory(UnitFactory)
    agent = factory.SubFactory(UserFactory, role="agent")
    is_primary = True


def assigned_agent(unit: Unit, tz: str = "America/New_York", primary: bool = True) -> Any:
    """Return a new agent, with a profile in time zone ``tz``, assigned to ``unit``."""
    agent = AgentFactory()
    AgentProfileFactory(user=agent, timezone=tz)
    AssignmentFactory(unit=unit, agent=agent, is_primary=primary)
    return agent


class RuleFactory(factory.django.DjangoModelFactory):
    """A weekly window by default; pass ``unit=`` or ``agent=`` (exactly one)."""

    class Meta:
        model = AvailabilityRule

    kind = "weekly"
    weekday = 0
    start_time = dt.time(10, 0)
    end_time = dt.time(12, 0)


class ShowingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Showing

    unit = factory.SubFactory(UnitFactory)
    agent = factory.SubFactory(UserFactory, role="agent")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(minutes=30))


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    account = factory.SubFactory(PlatformAccountFactory)
    thread_ref = factory.Sequence(lambda n: f"thread-{n}")
    renter_name = "Jamie Renter"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = "in"
    platform_message_ref = factory.Sequence(lambda n: f"msg-{n}")
    sender_name = "Jamie Renter"
    body = "Hi, is the room still available?"
    sent_at = factory.LazyFunction(timezone.now)


class OutboundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundMessage

    conversation = factory.SubFactory(ConversationFactory)
    account = factory.LazyAttribute(lambda o: o.conversation.account)
    dispatch_key = factory.Sequence(lambda n: f"test:{n}")
    body = "Hello! Yes, the room is available from June 1."
    status = "draft"
