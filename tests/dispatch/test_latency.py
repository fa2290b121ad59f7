"""The first-reply latency, computed from the rows' own timestamps (dispatch.latency)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.latency import first_reply_latency
from inbox.models import Message, OutboundMessage
from platforms.models import Platform
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _answered(conversation, *, written, seen_after, drafted_after, sent_after=None):  # type: ignore[no-untyped-def]
    """A renter message the platform dated ``written``, stored, drafted and maybe sent so many seconds later."""
    message = MessageFactory(conversation=conversation, sent_at=written)
    Message.objects.filter(pk=message.pk).update(seen_at=written + timedelta(seconds=seen_after))
    if drafted_after is None:
        return message
    row = OutboundFactory(conversation=conversation, in_reply_to=message, status="draft")
    update = {"created_at": written + timedelta(seconds=drafted_after)}
    if sent_after is not None:
        update |= {"status": "sent", "sent_at": written + timedelta(seconds=sent_after)}
    OutboundMessage.objects.filter(pk=row.pk).update(**update)
    return message


def test_first_reply_latency_percentiles_per_platform_and_fleet() -> None:
    # given: ten SpareRoom renter messages answered 10..100 s after they were written, sent 5 s later
    now = timezone.now()
    spare = ConversationFactory(account=PlatformAccountFactory())
    for i in range(1, 11):
        _answered(
            spare, written=now - timedelta(minutes=30 + i), seen_after=i, drafted_after=10 * i, sent_after=10 * i + 5
        )
    # and a Roomies message no row answers (a person handles it), and one outside the window
    roomies = ConversationFactory(account=PlatformAccountFactory(platform=Platform.objects.get(slug="roomies")))
    _answered(roomies, written=now - timedelta(minutes=5), seen_after=3, drafted_after=None)
    _answered(spare, written=now - timedelta(hours=3), seen_after=1, drafted_after=1, sent_after=2)
    # when
    figures = {f.platform: f for f in first_reply_latency(window_s=3600, now=now)}
    # then: PostgreSQL's continuous percentiles of the delays
    fleet, spareroom = figures["all"], figures["spareroom"]
    assert (fleet.inbound, fleet.unanswered) == (11, 1)
    assert (spareroom.inbound, spareroom.unanswered) == (10, 0)
    assert spareroom.stages["drafted"].count == 10
    assert spareroom.stages["drafted"].p50 == 55.0
    assert spareroom.stages["drafted"].p95 == pytest.approx(95.5)
    assert spareroom.stages["sent"].p50 == 60.0
    assert spareroom.stages["sent"].within_60s == 5
    assert fleet.stages["seen"].count == 11
    assert figures["roomies"].stages["drafted"].p50 is None
    assert dict(spareroom.stages["drafted"].buckets)[60] == 6


def test_first_reply_counts_the_earliest_reply_and_never_a_negative_delay() -> None:
    now = timezone.now()
    conversation = ConversationFactory()
    # given: a message two replies answer (the first one counts), and a platform clock 30 s ahead of ours
    message = _answered(
        conversation, written=now - timedelta(minutes=10), seen_after=2, drafted_after=40, sent_after=50
    )
    later = OutboundFactory(conversation=conversation, in_reply_to=message, status="draft")
    OutboundMessage.objects.filter(pk=later.pk).update(created_at=now)
    _answered(conversation, written=now + timedelta(seconds=30), seen_after=-10, drafted_after=-5)
    # when
    fleet = first_reply_latency(window_s=3600, now=now + timedelta(minutes=1))[0]
    # then
    assert fleet.platform == "all"
    assert fleet.stages["drafted"].count == 2
    assert sorted([fleet.stages["drafted"].p50, fleet.stages["drafted"].p95]) == [20.0, pytest.approx(38.0)]
    assert fleet.stages["seen"].p50 == 1.0  # One of 2 s, one clamped to 0.


def test_first_reply_latency_with_nothing_in_the_window() -> None:
    (fleet,) = first_reply_latency(window_s=60)
    assert (fleet.platform, fleet.inbound, fleet.stages["sent"].p95) == ("all", 0, None)
