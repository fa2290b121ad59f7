"""The renter's language through ``inbound_decide`` and the sweeps: Spanish answered in Spanish, others held.

A Spanish renter gets a reply written from the Spanish templates (dates and slot times in
Spanish too); the conversation remembers the language, a message too short to tell keeps it, and
an English message switches the replies back. A renter writing in another language gets a draft
held for a person (reason ``language``), and so does a Spanish renter when a template the reply
needs has no Spanish text (never a gap filled in English).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone

from inbox import holds
from inbox.choices import Language, OutboundStatus, ReasonCode, ShowingStatus, TemplateKey
from inbox.models import Conversation, Decision, OutboundMessage, ReplyTemplate, Showing
from inbox.services import followups_due, inbound_decide, showings_due
from tests.inbox.conftest import MONDAY_0800_NY, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(MONDAY_0800_NY, tick=False):
        yield


def _say(world: World, conversation: Conversation, body: str) -> Decision:
    decision = inbound_decide(message_id=world.inbound(body, conversation=conversation).pk)
    assert decision is not None
    return decision


def _reply(decision: Decision) -> OutboundMessage:
    return OutboundMessage.objects.get(decision=decision)


def test_every_template_the_bot_sends_is_seeded_in_spanish(db: None) -> None:
    english = set(ReplyTemplate.objects.filter(language=Language.EN, is_active=True).values_list("key", flat=True))
    spanish = set(ReplyTemplate.objects.filter(language=Language.ES, is_active=True).values_list("key", flat=True))

    assert english - spanish == {TemplateKey.LLM_PLAYBOOK}  # Never sent to a renter.


def test_a_spanish_renter_is_answered_in_spanish_and_an_english_message_switches_back(
    world: World, auto_send: None
) -> None:
    conversation = world.conversation()

    # when: the renter asks in Spanish
    decision = _say(world, conversation, "Hola, ¿sigue disponible el departamento? ¿Cuánto es la renta?")

    # then: a Spanish reply, from Spanish templates, queued on the bot's own
    conversation.refresh_from_db()
    reply = _reply(decision)
    assert conversation.language == Language.ES
    assert decision.language == Language.ES
    assert reply.status == OutboundStatus.QUEUED
    assert "La renta es de $2,450 al mes" in reply.body
    assert "Estos horarios están libres" in reply.body
    assert "Saludos cordiales" in reply.body
    assert "The rent" not in reply.body
    # Slot times are written in Spanish too ("mar 2 de febrero, 10:00").
    assert any(month in reply.body for month in ("de enero,", "de febrero,", "de marzo,"))

    # when: the renter answers "el 2" (too short to tell): the conversation stays Spanish
    booked = _say(world, conversation, "el 2")
    assert booked.intent == "pick_slot"
    assert booked.language == Language.ES
    assert "Tu visita quedó reservada" in _reply(booked).body

    # when: the renter writes in English
    english = _say(world, conversation, "Thanks! Do you allow dogs?")

    # then: the reply is in English again
    conversation.refresh_from_db()
    assert conversation.language == Language.EN
    assert english.language == Language.EN
    assert "About pets" in _reply(english).body
    assert "Saludos" not in _reply(english).body


def test_a_renter_writing_in_another_language_is_held_for_a_person(world: World, auto_send: None) -> None:
    conversation = world.conversation()

    decision = _say(world, conversation, "Bonjour, l'appartement est-il toujours disponible ? Je voudrais visiter.")

    conversation.refresh_from_db()
    reply = _reply(decision)
    assert conversation.language == Language.OTHER
    assert decision.language == Language.OTHER
    assert ReasonCode.LANGUAGE in decision.reason_codes
    assert reply.status in {OutboundStatus.PENDING_REVIEW, OutboundStatus.DRAFT}
    language_hold = [r for r in holds.load(reply.hold_reasons) if r.code == ReasonCode.LANGUAGE]
    assert language_hold
    assert "fr" in language_hold[0].detail
    assert conversation.human_required
    assert holds.has(conversation.human_reasons, ReasonCode.LANGUAGE)


def test_an_opt_out_in_another_language_is_still_honoured(world: World, auto_send: None) -> None:
    conversation = world.conversation()

    decision = _say(world, conversation, "Arrêtez de m'écrire s'il vous plaît")

    conversation.refresh_from_db()
    assert decision.intent == "opt_out"
    assert conversation.opted_out
    assert not OutboundMessage.objects.filter(conversation=conversation).exists()


def test_a_spanish_reply_missing_a_spanish_template_is_held_never_filled_in_english(
    world: World, auto_send: None
) -> None:
    ReplyTemplate.objects.filter(key=TemplateKey.PRICE, language=Language.ES).update(is_active=False)
    conversation = world.conversation()

    decision = _say(world, conversation, "Hola, ¿cuánto es la renta?")

    reply = _reply(decision)
    assert ReasonCode.LANGUAGE in decision.reason_codes
    assert ReasonCode.NO_TEMPLATE not in decision.reason_codes
    assert reply.status in {OutboundStatus.PENDING_REVIEW, OutboundStatus.DRAFT}
    assert "The rent" not in reply.body


def test_a_spanish_opt_out_stops_the_bot(world: World, auto_send: None) -> None:
    conversation = world.conversation()
    _say(world, conversation, "Hola, ¿sigue disponible?")

    decision = _say(world, conversation, "No me escriban más, por favor")

    conversation.refresh_from_db()
    assert decision.intent == "opt_out"
    assert conversation.opted_out
    assert decision.reply_text == ""


def test_a_spanish_conversations_follow_up_is_written_in_spanish(world: World, auto_send: None) -> None:
    conversation = world.conversation()
    first = _say(world, conversation, "Hola, ¿sigue disponible el departamento?")
    OutboundMessage.objects.filter(decision=first).update(status=OutboundStatus.SENT, sent_at=timezone.now())
    conversation.refresh_from_db()
    assert conversation.next_follow_up_at is not None

    with time_machine.travel(conversation.next_follow_up_at + dt.timedelta(minutes=1), tick=False):
        assert followups_due() == 1

    follow_up = OutboundMessage.objects.get(conversation=conversation, purpose="follow_up")
    assert follow_up.body.startswith("Hola, solo quería saber si sigues interesado")


def test_a_spanish_renters_showing_is_confirmed_asked_and_reminded_in_spanish(world: World, auto_send: None) -> None:
    conversation = world.conversation()
    offer = _say(world, conversation, "Hola, ¿puedo ir a ver el departamento?")
    now = timezone.now()
    choice = next(
        i
        for i, slot in enumerate(offer.offered_slots)
        if dt.datetime.fromisoformat(slot["starts_at"]) - now > dt.timedelta(hours=48)
        # An afternoon: the reminder three hours before falls outside the quiet hours.
        and dt.datetime.fromisoformat(slot["local_start"]).hour >= 12
    )
    picked = _say(world, conversation, f"la opción {choice + 1}")
    assert picked.intent == "pick_slot"
    assert "Tu visita quedó reservada" in picked.reply_text
    OutboundMessage.objects.filter(status=OutboundStatus.QUEUED).update(status=OutboundStatus.SENT, sent_at=now)
    showing = Showing.objects.get(conversation=conversation, status=ShowingStatus.BOOKED)

    # The day before: the confirmation request, in Spanish, with the time in Spanish.
    with time_machine.travel(showing.starts_at - dt.timedelta(hours=24) + dt.timedelta(minutes=1), tick=False):
        assert showings_due() == 1
    ask = OutboundMessage.objects.get(conversation=conversation, purpose="confirmation")
    assert "¿sigues pensando venir?" in ask.body
    assert showing.source["label"] not in ask.body  # The English label is not quoted...
    assert " de " in ask.body.split("el ", 1)[1]  # ...the Spanish one is ("mié 13 de enero, 14:30").
    OutboundMessage.objects.filter(pk=ask.pk).update(status=OutboundStatus.SENT, sent_at=now)

    # A few hours before: the reminder, in Spanish, with the address.
    with time_machine.travel(showing.starts_at - dt.timedelta(hours=3) + dt.timedelta(minutes=1), tick=False):
        assert showings_due() == 1
    reminder = OutboundMessage.objects.get(conversation=conversation, purpose="reminder")
    assert reminder.body.startswith("Hola, te recuerdo que tu visita")
    assert world.unit.address in reminder.body
