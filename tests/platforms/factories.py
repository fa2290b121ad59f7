"""factory-boy factories for the platform layer: users by role (roles are platforms') and accounts."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from platforms.models import Platform, PlatformAccount

__all__ = ["AgentFactory", "PlatformAccountFactory", "UserFactory"]


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


def AgentFactory(**kwargs: object):
    """Return a user in the agent role."""
    kwargs.setdefault("username", f"agent-{UserFactory._meta.model.objects.count() + 1}")
    return UserFactory(role="agent", **kwargs)


class PlatformAccountFactory(factory.django.DjangoModelFactory):
    """An active account on SpareRoom unless told otherwise."""

    class Meta:
        model = PlatformAccount

    platform = factory.LazyFunction(lambda: Platform.objects.get(slug="spareroom"))
    label = factory.Sequence(lambda n: f"team-{n}")
    username = factory.Sequence(lambda n: f"leasing{n}@example.test")
    credential_ref = "env:TEST_PLATFORM_PASSWORD"
    base_url = "http://127.0.0.1:9/spareroom"
