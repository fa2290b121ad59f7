"""factory-boy factories for the dispatch ledger rows tests write directly."""

from __future__ import annotations

import factory

from dispatch.models import DeadLetter
from tests.platforms.factories import PlatformAccountFactory

__all__ = ["DeadLetterFactory"]


class DeadLetterFactory(factory.django.DjangoModelFactory):
    """An open dead letter of a permanent ingest failure; pass ``outbound=`` for a failed send.

    The account is the outbound row's when there is one, and the platform is the account's.
    """

    class Meta:
        model = DeadLetter

    outbound = None
    account = factory.Maybe(
        "outbound",
        yes_declaration=factory.LazyAttribute(lambda d: d.outbound.account),
        no_declaration=factory.SubFactory(PlatformAccountFactory),
    )
    platform = factory.LazyAttribute(lambda d: d.account.platform.slug)
    stage = "ingest"
    error_class = "Permanent"
