"""One reply per burst: the renter's messages that came close together, answered together.

A renter often writes in a burst ("hi" / "is it free?" / "do you take dogs?"). Messages of one
conversation less than ``LEASEBOT_BURST_WINDOW_S`` apart make one burst, decided once the renter
has been quiet that long (and at the latest ``LEASEBOT_BURST_MAX_WAIT_S`` after its first
message). A reply already written for an earlier message of the burst that has not left yet is
superseded through the outbox's door (``outbound_supersede``) and the one new reply answers
every message; a reply already on its way (``sending``, ``unknown``, ``sent``), edited by a
person, or one that booked, moved or cancelled a showing ends the burst instead: it stands, and
the messages after it get their own reply.

This module only reads (and locks the reply rows it may supersede until the decision commits);
``inbox.services.decide`` applies what it finds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.db.models import Q

from inbox.choices import Direction, Intent, Purpose
from inbox.engine.base import SILENT_INTENTS
from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.services.outbox import outbound_supersedable

#: At most this many messages are answered together (a renter pasting a novel line by line).
MAX_BURST_MESSAGES = 10
#: A decision with one of these intents changed something (a booking, an opt-out): its reply stands.
_STANDS = SILENT_INTENTS | {Intent.PICK_SLOT, Intent.CANCEL_SHOWING, Intent.RESCHEDULE}


@dataclasses.dataclass
class Burst:
    """The messages decided together, oldest first, and the standing decisions whose replies the new one replaces."""

    messages: list[Message]
    superseded: list[Decision]
    settles_at: dt.datetime

    @property
    def newest(self) -> Message:
        return self.messages[-1]

    @property
    def text(self) -> str:
        """Return what the renter wrote, message after message, as one text for the engine."""
        return "\n".join(m.body.strip() for m in self.messages if m.body.strip())

    @property
    def message_ids(self) -> list[int]:
        return [m.pk for m in self.messages]


def moment(message: Message) -> dt.datetime:
    """Return when a message was written, as far as we can trust it: never later than we first saw it."""
    return min(message.sent_at, message.seen_at)


def covering_decision(message: Message) -> Decision | None:
    """Return the standing decision that answered ``message`` (alone or in its burst), if any."""
    return (
        Decision.objects.filter(Q(message=message) | Q(burst_message_ids__contains=[message.pk]))
        .filter(superseded_by__isnull=True)
        .order_by("-pk")
        .first()
    )


def _supersedable(decision: Decision) -> bool:
    if decision.intent in _STANDS or not decision.reply_text:
        return False
    reply = (
        OutboundMessage.objects.filter(decision=decision, purpose=Purpose.REPLY)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return reply is not None and outbound_supersedable(reply)


def burst_of(conversation: Conversation, message: Message) -> Burst:
    """Return the burst ``message`` belongs to, locking the reply rows it would supersede.

    The burst grows both ways from ``message`` while consecutive renter messages are at most the
    window apart, no message of ours or an agent's came between them, and each one is either not
    decided yet or decided with a reply that may still be superseded.
    """
    window = dt.timedelta(seconds=settings.LEASEBOT_BURST_WINDOW_S)
    if not window:
        return Burst(messages=[message], superseded=[], settles_at=moment(message))
    span = window * (MAX_BURST_MESSAGES + 1) + dt.timedelta(hours=1)
    nearby = list(
        conversation.messages.filter(sent_at__gte=message.sent_at - span, sent_at__lte=message.sent_at + span).order_by(
            "sent_at", "id"
        )
    )
    inbound = [m for m in nearby if m.direction == Direction.INBOUND]
    ours = [m.sent_at for m in nearby if m.direction == Direction.OUTBOUND]
    superseded: dict[int, Decision] = {}

    def joins(earlier: Message, later: Message, candidate: Message) -> bool:
        if moment(later) - moment(earlier) > window:
            return False
        if any(earlier.sent_at < at < later.sent_at for at in ours):
            return False
        decision = covering_decision(candidate)
        if decision is None or decision.pk in superseded:
            return True
        if _supersedable(decision):
            superseded[decision.pk] = decision
            return True
        return False

    at = next(i for i, m in enumerate(inbound) if m.pk == message.pk)
    first = last = at
    while last + 1 < len(inbound) and last - first + 1 < MAX_BURST_MESSAGES:
        if not joins(inbound[last], inbound[last + 1], inbound[last + 1]):
            break
        last += 1
    while first > 0 and last - first + 1 < MAX_BURST_MESSAGES:
        if not joins(inbound[first - 1], inbound[first], inbound[first - 1]):
            break
        first -= 1
    members = {m.pk: m for m in inbound[first : last + 1]}
    # A superseded reply answered messages that must stay answered: all of them join.
    covered = {pk for d in superseded.values() for pk in [d.message_id, *d.burst_message_ids]}
    for extra in Message.objects.filter(pk__in=covered - set(members)):
        members[extra.pk] = extra
    messages = sorted(members.values(), key=lambda m: (m.sent_at, m.pk))
    settles_at = min(
        moment(messages[-1]) + window,
        moment(messages[0]) + dt.timedelta(seconds=settings.LEASEBOT_BURST_MAX_WAIT_S),
    )
    return Burst(messages=messages, superseded=sorted(superseded.values(), key=lambda d: d.pk), settles_at=settles_at)
