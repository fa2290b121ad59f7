"""Booking, rescheduling and cancelling showings: the handshake's last step.

Booking is atomic and safe under concurrency: the conversation row is locked, then the
agent's advisory lock (see ``lock_objects``) serialises that agent's bookings so the
buffer and group-size checks are exact, the slot is re-checked against live availability,
and the insert is backed by the database: exclusion constraints (btree_gist) refuse two
booked showings of one agent that overlap unless they are the very same showing of one unit
(a group), and the trigger ``inbox_showing_group_size`` refuses a group beyond the unit's
``showing_group_size`` (it also takes the agent's lock on insert, so overlapping inserts past
this service run in turn), so no path that skips the lock can double-book either. Such a refusal
becomes ``SlotUnavailable`` (HTTP 409 with its reason).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inbox.choices import ShowingState, ShowingStatus
from inbox.exceptions import SlotUnavailable
from inbox.lock_objects import BOOKING_LOCK_NAMESPACE
from inbox.models import Conversation, Showing, Unit
from inbox.slots import Slot, slot_at, slot_is_open
from inbox.workflow import transition
from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.services import audit_record


def _lock_agents(agent_ids: set[int]) -> None:
    with connection.cursor() as cursor:
        for agent_id in sorted(agent_ids):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOOKING_LOCK_NAMESPACE, int(agent_id) & 0x7FFFFFFF])


def _label(showing: Showing) -> str:
    return str(showing.source.get("label") or showing.starts_at.isoformat())


def _state(showing: Showing) -> str:
    """Say what became of a showing, in words an agent reads in a conflict."""
    if showing.status == ShowingStatus.CANCELLED:
        return "cancelled" + (f" ({showing.cancel_reason})" if showing.cancel_reason else "")
    if showing.status == ShowingStatus.NO_SHOW:
        return "marked no-show"
    return f"marked {showing.status}"


def _parse(slot: dict[str, Any] | Slot) -> Slot:
    if isinstance(slot, Slot):
        return slot
    try:
        return Slot.from_dict(slot)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed("the slot is malformed", field="slot") from exc


@transaction.atomic
def showing_book(
    *,
    conversation_id: int,
    slot: dict[str, Any] | Slot,
    actor: Any = None,
    now: dt.datetime | None = None,
    replacing: int | None = None,
    new_only: bool = False,
) -> Showing:
    """Book ``slot`` for the conversation's renter; a booked showing of that conversation is moved (reschedule).

    Idempotent: booking the slot the conversation already holds returns that showing.
    Raises ``SlotUnavailable`` when the slot was taken or is no longer open. An agent's page
    says what it saw: ``new_only`` (the page showed no booked showing) refuses when one is
    booked meanwhile, ``replacing`` (the showing the page moves) refuses when that one is no
    longer booked (``NotAllowed``, HTTP 409), so a stale page never moves someone else's booking.
    """
    wanted = _parse(slot)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    unit = Unit.objects.select_related("listing").get(pk=wanted.unit_id)
    if conversation.unit_id is not None and conversation.unit_id != unit.pk:
        raise ValidationFailed("the slot is for another unit than the conversation's", field="slot")
    previous = list(Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).order_by("pk"))
    if replacing is not None and replacing not in {p.pk for p in previous}:
        gone = Showing.objects.filter(pk=replacing, conversation=conversation).first()
        raise NotAllowed(
            f"the showing is no longer booked: it is {_state(gone) if gone else 'gone'}",
            field="showing",
            status=gone.status if gone else "",
        )
    _lock_agents({wanted.agent_id, *(p.agent_id for p in previous)})
    previous = list(Showing.objects.select_for_update().filter(pk__in=[p.pk for p in previous]).order_by("pk"))
    for held in previous:
        if held.starts_at == wanted.starts_at and held.ends_at == wanted.ends_at and held.agent_id == wanted.agent_id:
            return held
    if new_only and previous:
        raise NotAllowed(
            f"a showing is already booked ({_label(previous[0])}): reschedule or cancel it instead", field="showing"
        )
    moment = now or timezone.now()
    for held in previous:
        held.status, held.cancelled_at, held.cancel_reason = ShowingStatus.CANCELLED, moment, "rescheduled"
        held.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(action="showing.cancel", actor=actor, system="booking", obj=held, reason="rescheduled")
    if not slot_is_open(wanted, unit=unit, now=moment):
        raise SlotUnavailable(
            f"{wanted.label} is no longer available with that agent (booked meanwhile, outside the"
            " availability, or too soon)",
            slot=wanted.label,
            agent_id=wanted.agent_id,
        )
    try:
        with transaction.atomic():
            showing = Showing.objects.create(
                unit=unit,
                agent_id=wanted.agent_id,
                conversation=conversation,
                starts_at=wanted.starts_at,
                ends_at=wanted.ends_at,
                source={**wanted.source, "label": wanted.label, "timezone": wanted.timezone},
            )
    except IntegrityError as exc:
        # The database refused: another booking of this agent overlaps, or the group is full.
        raise SlotUnavailable(
            f"{wanted.label} is no longer available: it was just booked by someone else (the agent is taken"
            " then, or the group showing is full; double booking refused)",
            slot=wanted.label,
            agent_id=wanted.agent_id,
        ) from exc
    if conversation.unit_id is None:
        conversation.unit, conversation.listing = unit, unit.listing
        conversation.save(update_fields=["unit", "listing", "updated_at"])
    if conversation.showing_state == ShowingState.BOOKED and previous:
        transition(conversation, field="showing_state", to=ShowingState.RESCHEDULING, actor=actor, reason="rescheduled")
    transition(
        conversation, field="showing_state", to=ShowingState.BOOKED, actor=actor, reason=f"booked {wanted.label}"
    )
    audit_record(
        action="showing.book",
        actor=actor,
        system="booking",
        obj=showing,
        after={
            "starts_at": showing.starts_at.isoformat(),
            "agent_id": showing.agent_id,
            "unit_id": unit.pk,
            "group": wanted.group,
        },
        reason="rescheduled" if previous else "",
    )
    return showing


@transaction.atomic
def showing_cancel(*, showing_id: int, actor: Any = None, reason: str = "", strict: bool = False) -> Showing:
    """Cancel a booked showing (idempotent); the conversation's showing state follows.

    ``strict`` (an agent's page that saw it booked): a showing no longer booked is refused
    (``NotAllowed``, HTTP 409) saying what it is now, instead of a silent no-op.
    """
    conversation_id = Showing.objects.filter(pk=showing_id).values_list("conversation_id", flat=True).first()
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id) if conversation_id else None
    showing = Showing.objects.select_for_update().get(pk=showing_id)
    if showing.status != ShowingStatus.BOOKED:
        if strict:
            raise NotAllowed(f"the showing is no longer booked: it is {_state(showing)}", status=showing.status)
        return showing
    showing.status, showing.cancelled_at, showing.cancel_reason = ShowingStatus.CANCELLED, timezone.now(), reason[:300]
    showing.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit_record(action="showing.cancel", actor=actor, system="booking", obj=showing, reason=reason)
    if (
        conversation is not None
        and not Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).exists()
    ):
        transition(
            conversation,
            field="showing_state",
            to=ShowingState.CANCELLED,
            actor=actor,
            reason=reason or "showing cancelled",
        )
    return showing


def showing_reschedule(*, showing_id: int, slot: dict[str, Any] | Slot, actor: Any = None) -> Showing:
    """Move a booked showing to another slot, atomically (the old one stays if the new one fails)."""
    showing = Showing.objects.get(pk=showing_id)
    if showing.conversation_id is None:
        raise ValidationFailed("only a conversation's showing can be rescheduled here", field="showing_id")
    return showing_book(conversation_id=showing.conversation_id, slot=slot, actor=actor, replacing=showing.pk)


def showing_book_at(
    *,
    conversation_id: int,
    starts_at: dt.datetime,
    agent_id: int,
    actor: Any,
    replacing: int | None = None,
    now: dt.datetime | None = None,
) -> Showing:
    """Book (or, with ``replacing``, move a booked showing to) the free time an agent picked in the lead panel.

    The time is named by its start and agent; ``showing_book`` checks it against the unit's free
    slots under the locks, so a page can only book a time that really is open (else
    ``SlotUnavailable``, HTTP 409 with the reason).
    Without ``replacing`` the conversation must have no booked showing (see ``showing_book``).
    """
    moment = now or timezone.now()
    conversation = Conversation.objects.select_related("unit").get(pk=conversation_id)
    if conversation.unit is None:
        raise ValidationFailed("link the conversation to a unit first: showings are of a unit", field="unit")
    unit = conversation.unit
    # The free slot as offered (with where it came from); a time next to the showing being moved
    # is free only once that one is cancelled, which ``showing_book`` does before it checks again.
    slot = slot_at(unit, starts_at=starts_at, agent_id=agent_id, now=moment) or Slot(
        starts_at,
        starts_at + dt.timedelta(minutes=unit.showing_duration_minutes),
        unit.pk,
        agent_id,
        unit.timezone,
        {"picked_by": "agent"},
    )
    return showing_book(
        conversation_id=conversation_id,
        slot=slot,
        actor=actor,
        now=moment,
        replacing=replacing,
        new_only=replacing is None,
    )


@transaction.atomic
def showing_confirm(*, showing_id: int, actor: Any = None, now: dt.datetime | None = None) -> Showing:
    """Note that the renter confirmed a booked showing (idempotent: the first confirmation's time stays)."""
    showing = Showing.objects.select_for_update().get(pk=showing_id)
    if showing.status != ShowingStatus.BOOKED:
        raise ValidationFailed("only a booked showing can be confirmed", field="showing_id")
    if showing.confirmed_at is None:
        showing.confirmed_at = now or timezone.now()
        showing.save(update_fields=["confirmed_at"])
        audit_record(action="showing.confirm", actor=actor, system="booking", obj=showing)
    return showing


#: What a booked showing may become once its time has come.
SHOWING_OUTCOMES = frozenset({ShowingStatus.COMPLETED, ShowingStatus.NO_SHOW})


@transaction.atomic
def showing_mark_outcome(
    *, showing_id: int, outcome: str, actor: Any = None, by: str = "agent", now: dt.datetime | None = None
) -> Showing:
    """Mark a booked showing ``completed`` or ``no_show`` once it has started; the conversation's state follows.

    Idempotent for the same outcome; a showing still ahead cannot be marked (``ValidationFailed``,
    HTTP 400), nor one cancelled or already marked otherwise (``NotAllowed``, HTTP 409).
    The sweep (``inbox.services.showing_life``) then sends the application link or new times.
    """
    if outcome not in SHOWING_OUTCOMES:
        raise ValidationFailed("the outcome must be completed or no_show", field="outcome")
    moment = now or timezone.now()
    conversation_id = Showing.objects.filter(pk=showing_id).values_list("conversation_id", flat=True).first()
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id) if conversation_id else None
    showing = Showing.objects.select_for_update().get(pk=showing_id)
    if showing.status == outcome:
        return showing
    if showing.status != ShowingStatus.BOOKED:
        # The page that asked saw it booked: someone else changed it meanwhile (a conflict, not bad input).
        raise NotAllowed(
            f"the showing is no longer booked: it is {_state(showing)}, so it cannot be marked {outcome}",
            field="outcome",
            status=showing.status,
        )
    if showing.starts_at > moment:
        raise ValidationFailed("a showing can be marked only once it has started", field="outcome")
    before = showing.status
    showing.status, showing.outcome_at, showing.outcome_by = outcome, moment, by[:20]
    showing.save(update_fields=["status", "outcome_at", "outcome_by"])
    audit_record(
        action="showing.outcome",
        actor=actor,
        system="booking",
        obj=showing,
        before={"status": before},
        after={"status": outcome, "by": by},
    )
    if conversation is not None:
        target = ShowingState.COMPLETED if outcome == ShowingStatus.COMPLETED else ShowingState.NO_SHOW
        transition(conversation, field="showing_state", to=target, actor=actor, reason=f"showing {outcome}")
    return showing


#: The steps of a showing's life the bot records once each (the field that keeps each step's time).
SHOWING_STEPS = {
    "confirmation_requested": "confirmation_requested_at",
    "reminder_sent": "reminder_sent_at",
    "no_show_follow_up": "no_show_follow_up_at",
    "application_sent": "application_sent_at",
    "application_nudged": "application_nudged_at",
}


def showing_record_step(
    *, showing_id: int, step: str, now: dt.datetime, offer: list[dict[str, Any]] | None = None
) -> bool:
    """Record that a step of the showing's life happened (once: return False if it already had)."""
    field = SHOWING_STEPS[step]
    updates: dict[str, Any] = {field: now}
    if step == "no_show_follow_up":
        updates["no_show_offer"] = list(offer or [])
    done = bool(Showing.objects.filter(pk=showing_id, **{f"{field}__isnull": True}).update(**updates))
    if done:
        audit_record(action=f"showing.{step}", system="showings", obj=Showing(pk=showing_id))
    return done
