"""factory-boy factories for the inbox models (built on the shared ones in tests/factories.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from inbox.models import AgentProfile, AvailabilityRule, Showing, Unit, UnitAssignment
from tests.factories import ConversationFactory, ListingFactory, MessageFactory, UserFactory

__all__ = [
    "AgentFactory",
    "AgentProfileFactory",
    "AssignmentFactory",
    "ConversationFactory",
    "ListingFactory",
    "MessageFactory",
    "RuleFactory",
    "ShowingFactory",
    "UnitFactory",
]


class UnitFactory(factory.django.DjangoModelFactory):
    """A unit with every fact a reply quotes."""

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


def AgentFactory(**kwargs: object):
    """Return a user in the agent role."""
    kwargs.setdefault("username", f"agent-{UserFactory._meta.model.objects.count() + 1}")
    return UserFactory(role="agent", **kwargs)


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
