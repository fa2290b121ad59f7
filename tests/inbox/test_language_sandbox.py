"""The renter's language on a real replica: the sandbox, real Chromium, the real ingest and send jobs.

A Spanish renter is answered in Spanish on the platform and books a showing with "el 2" (confirmed
in Spanish); a renter writing in French is held for a person (nothing is sent on that thread); when
the Spanish renter writes in English, the next reply on the platform is in English.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dispatch.services import ingest_account_run, send_account_run
from inbox import holds
from inbox.choices import Language, OutboundStatus, ReasonCode
from inbox.models import Conversation, ListingRef, OutboundMessage, Showing
from platforms.browser import BrowserRuntime
from platforms.models import BotSettings, Platform, PlatformAccount
from platforms.sandbox.client import SandboxClient
from platforms.sandbox.server import SandboxServer
from tests.inbox.factories import RuleFactory, UnitFactory, assigned_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pw-idioma-7731"
PLATFORM = "spareroom"
LISTING_REF = "7101"


def _sent(client: SandboxClient, username: str, thread: Any) -> list[str]:
    return [s["body"] for s in client.sent(PLATFORM, username) if str(s.get("thread_id")) == str(thread)]


def test_spanish_is_answered_in_spanish_another_language_is_held_and_the_reply_follows_the_renter(
    own_sandbox: SandboxServer, ingest_runtime: BrowserRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a described unit on a replica account that auto-sends
    unit = UnitFactory()
    agent = assigned_agent(unit, tz="America/New_York", primary=True)
    for weekday in range(7):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20))
        RuleFactory(agent=agent, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20))
    platform = Platform.objects.get(slug=PLATFORM)
    ListingRef.objects.create(listing=unit.listing, platform=platform, external_ref=LISTING_REF)
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    client = SandboxClient(own_sandbox.url)
    username = "idioma@example.com"
    client.create_account(PLATFORM, username, PASSWORD)
    monkeypatch.setenv("IDIOMA_PW", PASSWORD)
    account = PlatformAccount.objects.create(
        platform=platform,
        label="idioma",
        username=username,
        credential_ref="env:IDIOMA_PW",
        base_url=client.base_url(PLATFORM),
    )

    # given: a renter writing in Spanish, another in French
    written = (timezone.now() - dt.timedelta(minutes=2)).isoformat()
    spanish = client.seed_message(
        PLATFORM,
        username,
        renter_name="Lucía",
        body="Hola, ¿sigue disponible el departamento? ¿Cuánto es la renta?",
        listing_ref=LISTING_REF,
        sent_at=written,
    )["thread_id"]
    french = client.seed_message(
        PLATFORM,
        username,
        renter_name="Camille",
        body="Bonjour, l'appartement est-il toujours disponible ? Je voudrais le visiter.",
        listing_ref=LISTING_REF,
        sent_at=written,
    )["thread_id"]

    # when: the ingest job reads them and the send job sends
    assert ingest_account_run(account_id=account.pk).new_inbound == 2
    send_account_run(account_id=account.pk)

    # then: the Spanish renter reads a Spanish reply on the platform
    replies = _sent(client, username, spanish)
    assert len(replies) == 1
    assert "La renta es de $2,450 al mes" in replies[0]
    assert "Estos horarios están libres" in replies[0]
    assert "The rent" not in replies[0]
    assert Conversation.objects.get(account=account, thread_ref=str(spanish)).language == Language.ES

    # then: nothing was sent to the French renter; the draft waits for a person, and says why
    assert _sent(client, username, french) == []
    conversation = Conversation.objects.get(account=account, thread_ref=str(french))
    held = OutboundMessage.objects.get(conversation=conversation)
    assert conversation.language == Language.OTHER
    assert held.status == OutboundStatus.PENDING_REVIEW
    assert holds.has(held.hold_reasons, ReasonCode.LANGUAGE)
    assert conversation.human_required

    # when: the Spanish renter picks the second time offered, with two words
    client.seed_message(
        PLATFORM, username, renter_name="Lucía", body="el 2", thread_id=spanish, sent_at=timezone.now().isoformat()
    )
    assert ingest_account_run(account_id=account.pk).new_inbound == 1
    send_account_run(account_id=account.pk)

    # then: the booking is confirmed in Spanish (too short to tell: the conversation stays Spanish)
    replies = _sent(client, username, spanish)
    assert len(replies) == 2
    assert "Tu visita quedó reservada" in replies[1]
    assert Showing.objects.filter(conversation__thread_ref=str(spanish), status="booked").count() == 1

    # when: the Spanish renter writes again, in English
    client.seed_message(
        PLATFORM,
        username,
        renter_name="Lucía",
        body="Thanks! Do you allow dogs?",
        thread_id=spanish,
        sent_at=timezone.now().isoformat(),
    )
    assert ingest_account_run(account_id=account.pk).new_inbound == 1
    send_account_run(account_id=account.pk)

    # then: the reply on the platform is in English
    replies = _sent(client, username, spanish)
    assert len(replies) == 3
    assert "About pets" in replies[2]
    assert "Saludos" not in replies[2]
    assert Conversation.objects.get(account=account, thread_ref=str(spanish)).language == Language.EN
