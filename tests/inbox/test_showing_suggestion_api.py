"""The message suggested to the renter after an agent books, moves or cancels a showing from the panel.

Time is frozen on a Monday at 08:00 in New York (``MONDAY_0800_NY``). The unit here is in Los
Angeles while its agent works New York hours, so a text written in the wrong zone shows. The
suggestion is rendered from the reply templates in the renter's language; nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from inbox.choices import Language
from inbox.models import Conversation, OutboundMessage, ReplyTemplate
from platforms.roles import account_grant
from tests.inbox.conftest import MONDAY_0800_NY, World

pytestmark = pytest.mark.django_db

LA = "America/Los_Angeles"
SEEDED = importlib.import_module("inbox.migrations.0024_seed_showing_change_templates")


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(MONDAY_0800_NY, tick=False) as traveller:
        yield traveller


def _conv(world: World, agent_user: Any, **kwargs: Any) -> Conversation:
    world.unit.timezone = LA
    world.unit.save(update_fields=["timezone"])
    conversation = world.conversation(unit=world.unit, listing=world.unit.listing, renter_name="Ida Lopez", **kwargs)
    account_grant(user=agent_user, account=conversation.account)
    return conversation


def _url(conversation: Conversation, action: str) -> str:
    return f"/api/v1/conversations/{conversation.pk}/{action}/"


def _slots(client: Any, conversation: Conversation) -> list[dict[str, Any]]:
    answer = client.get(_url(conversation, "slots"))
    assert answer.status_code == 200, answer.content
    return list(answer.json())


def _book(client: Any, conversation: Conversation, slot: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        _url(conversation, "book-showing"), {"starts_at": slot["starts_at"], "agent": slot["agent"]}, format="json"
    )
    assert answer.status_code == 201, answer.content
    return dict(answer.json())


def _local(slot: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(slot["starts_at"]).astimezone(ZoneInfo(LA))


def test_booking_suggests_the_bots_own_confirmation_in_the_units_zone_and_sends_nothing(
    world: World, agent_user: Any, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    conv = _conv(world, agent_user)
    slot = _slots(agent_client, conv)[0]
    local = _local(slot)
    # The agent works 09:00-17:00 New York, the unit shows 10:00-18:00 Los Angeles: 10:00 in LA is 13:00 in NY.
    assert (local.hour, dt.datetime.fromisoformat(slot["starts_at"]).astimezone(ZoneInfo("America/New_York")).hour) == (
        10,
        13,
    )

    body = _book(agent_client, conv, slot)

    assert body["status"] == "booked"
    assert body["suggested_reply"] == {
        "text": f"You're booked for a showing on Mon Jan 11, 10:00 AM. The address is {world.unit.address}. See you then!",
        "template": "showing_confirmed",
        "version": 1,
        "language": "en",
        "missing": [],
    }
    assert body["suggested_reply_note"] == ""
    assert not OutboundMessage.objects.filter(conversation=conv).exists()  # Only the agent's Send sends it.


def test_moving_and_cancelling_suggest_their_own_texts_with_the_new_and_the_cancelled_time(
    world: World, agent_user: Any, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    conv = _conv(world, agent_user)
    slots = _slots(agent_client, conv)
    first = _book(agent_client, conv, slots[0])
    later = slots[-1]
    label = later["slot_label"]
    assert label.startswith(f"{_local(later):%a %b} {_local(later).day}, ")  # The unit's local time.

    moved = agent_client.post(
        _url(conv, "reschedule-showing"),
        {"showing": first["id"], "starts_at": later["starts_at"], "agent": later["agent"]},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    title = world.unit.listing.title
    assert moved.json()["suggested_reply"]["text"] == (
        f"Hi Ida, your showing of {title} has moved to {label}. The address is {world.unit.address}."
        " If that time doesn't work for you, just reply here."
    )
    assert moved.json()["suggested_reply"]["template"] == "showing_moved"

    cancelled = agent_client.post(
        _url(conv, "cancel-showing"), {"showing": moved.json()["id"], "reason": "agent ill"}, format="json"
    )
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["suggested_reply"]["text"] == (
        f"Hi Ida, I'm sorry: we had to cancel your showing of {title} on {label}."
        " If you'd like another time, just reply here and we'll find one."
    )
    assert cancelled.json()["suggested_reply"]["template"] == "showing_cancelled_by_agent"
    assert not OutboundMessage.objects.filter(conversation=conv).exists()


def test_a_spanish_renter_gets_spanish_texts_with_the_time_in_the_units_zone(
    world: World, agent_user: Any, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    conv = _conv(world, agent_user, language=Language.ES)
    slots = _slots(agent_client, conv)
    title = world.unit.listing.title

    booked = _book(agent_client, conv, slots[0])
    assert booked["suggested_reply"]["language"] == "es"
    assert booked["suggested_reply"]["text"] == (
        f"Tu visita quedó reservada para el lun 11 de enero, 10:00. La dirección es {world.unit.address}. ¡Nos vemos!"
    )

    later = slots[-1]
    local = _local(later)
    moved = agent_client.post(
        _url(conv, "reschedule-showing"),
        {"showing": booked["id"], "starts_at": later["starts_at"], "agent": later["agent"]},
        format="json",
    ).json()
    assert f"cambió al {_es_weekday(local)} {local.day} de enero, {local:%H:%M}." in moved["suggested_reply"]["text"]
    assert moved["suggested_reply"]["text"].startswith(f"Hola, tu visita a {title} cambió al ")

    cancelled = agent_client.post(_url(conv, "cancel-showing"), {"showing": moved["id"]}, format="json").json()
    assert cancelled["suggested_reply"]["text"] == (
        f"Hola, lo siento: tuvimos que cancelar tu visita a {title} del {_es_weekday(local)} {local.day} de enero,"
        f" {local:%H:%M}. Si quieres otro horario, solo responde aquí y buscamos uno."
    )


def _es_weekday(local: dt.datetime) -> str:
    return ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")[local.weekday()]


def test_no_template_in_the_renters_language_means_no_suggestion_and_a_note_saying_so(
    world: World, agent_user: Any, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    ReplyTemplate.objects.filter(key="showing_confirmed", language=Language.ES).update(is_active=False)
    conv = _conv(world, agent_user, language=Language.ES)

    body = _book(agent_client, conv, _slots(agent_client, conv)[0])

    assert body["status"] == "booked"  # The booking stands; only the suggestion is missing.
    assert body["suggested_reply"] is None
    assert body["suggested_reply_note"] == (
        "No “Showing: confirmed” template in Spanish: no message is suggested; write to the renter yourself."
    )
    # The English template exists, but is never used for a Spanish renter.
    assert ReplyTemplate.objects.filter(key="showing_confirmed", language=Language.EN, is_active=True).exists()


def test_an_opted_out_renter_gets_no_suggestion(
    world: World, agent_user: Any, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    conv = _conv(world, agent_user, opted_out=True)

    body = _book(agent_client, conv, _slots(agent_client, conv)[0])

    assert (body["suggested_reply"], body["suggested_reply_note"]) == (
        None,
        "The renter opted out: no message is suggested.",
    )


def test_a_missing_fact_is_named_in_the_note(
    world: World, agent_user: Any, agent_client: Any, clock: time_machine.Coordinates
) -> None:
    world.unit.address = ""
    world.unit.save(update_fields=["address"])
    world.unit.listing.address = ""
    world.unit.listing.save(update_fields=["address"])
    conv = _conv(world, agent_user)

    body = _book(agent_client, conv, _slots(agent_client, conv)[0])

    assert body["suggested_reply"]["missing"] == ["address"]
    assert body["suggested_reply_note"] == "Check the suggested message: nothing is known for address."


def test_the_seeded_texts_are_valid_in_both_languages() -> None:
    assert set(SEEDED.TEMPLATES) == set(SEEDED.TEMPLATES_ES) == {"showing_moved", "showing_cancelled_by_agent"}
    for language, texts in ((Language.EN, SEEDED.TEMPLATES), (Language.ES, SEEDED.TEMPLATES_ES)):
        for key, body in texts.items():
            stored = ReplyTemplate.objects.get(key=key, language=language, is_active=True)
            assert stored.body == body
