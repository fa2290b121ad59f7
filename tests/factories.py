"""factory-boy factories for the foundation models, shared by every test package."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from inbox.models import Conversation, Listing, Message, OutboundMessage, Unit
from platforms.models import Platform, PlatformAccount


class UserFactory(factory.django.DjangoModelFactory):
    """A user; pass ``role="agent"`` (or admin, ops) to put it in that group."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in {"admin", "ops"}:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class PlatformAccountFactory(factory.django.DjangoModelFactory):
    """An active account on SpareRoom unless told otherwise."""

    class Meta:
        model = PlatformAccount

    platform = factory.LazyFunction(lambda: Platform.objects.get(slug="spareroom"))
    label = factory.Sequence(lambda n: f"team-{n}")
    username = factory.Sequence(lambda n: f"leasing{n}@example.test")
    credential_ref = "env:TEST_PLATFORM_PASSWORD"
    base_url = "http://127.0.0.1:9/spareroom"


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    title = factory.Sequence(lambda n: f"Sunny room {n} in Brooklyn")
    address = factory.Sequence(lambda n: f"{n} Bedford Ave, Brooklyn, NY")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    listing = factory.SubFactory(ListingFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")
    rent = 1850
    timezone = "America/New_York"


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
