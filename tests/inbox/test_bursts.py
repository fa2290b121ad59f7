"""One reply per burst, through the real ingest job: a renter's quick messages are answered together, once.

The platform is the in-memory double of the connector contract (tests/dispatch/fakes.py); the
ingest job, the store, the decision, the outbox and the send job are the real ones. Time is
frozen (time_machine) and moved by hand, so "the renter stopped typing" is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from dispatch import connectors
from dispatch.services import ingest_account_run, send_account_run
from inbox import enqueue, tasks
from inbox.models import Conversation, Decision, Message, OutboundMessage
from inbox.services import decisions_due
from leasebot.core.models import AuditLog
from platforms.models import PlatformAccount
from tests.dispatch.fakes import FakePlatform
from tests.inbox.conftest import MONDAY_0800_NY, World
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db

WINDOW = 45


@pytest.fixture
def clock(settings: Any) -> Iterator[time_machine.Coordinates]:
    settings.LEASEBOT_BURST_WINDOW_S = WINDOW
    settings.LEASEBOT_BURST_MAX_WAIT_S = 50
    with time_machine.travel(MONDAY_0800_NY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    fake = FakePlatform()
    connectors.use_factory(fake.factory)
    monkeypatch.setattr(connectors, "circuit_state", lambda account_id: "closed")
    yield fake
    connectors.use_factory(None)


@pytest.fixture
def decide_jobs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """The decision jobs the inbox enqueued (message id, countdown), instead of a broker."""
    jobs: list[tuple[int, float]] = []
    monkeypatch.setattr(enqueue, "decide", lambda message_id, *, countdown=0: jobs.append((message_id, countdown)))
    monkeypatch.setattr(enqueue, "send", lambda account_id: None)
    return jobs


@pytest.fixture
def ingest(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the real ingest job, with what it asks after commit (the decision jobs) run as in production."""

    def run(account_id: int) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return ingest_account_run(account_id=account_id)

    return run


@pytest.fixture
def account(world: World, auto_send: None) -> PlatformAccount:
    return PlatformAccountFactory(platform=world.platform)


def _says(platform: FakePlatform, world: World, body: str, *, at: dt.datetime) -> None:
    platform.inbound("t1", body, sender="Jamie Renter", listing_ref=world.ref.external_ref, at=at)


def _live_replies(account: PlatformAccount) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(account=account).exclude(status="cancelled").order_by("pk"))


def test_a_burst_read_in_one_ingest_gets_one_reply_that_answers_every_message(
    clock: time_machine.Coordinates,
    platform: FakePlatform,
    world: World,
    account: PlatformAccount,
    decide_jobs: list[tuple[int, float]],
    ingest: Any,
) -> None:
    # given: three quick messages, the last one a minute ago (the renter has stopped typing)
    start = MONDAY_0800_NY - dt.timedelta(seconds=90)
    _says(platform, world, "Hi there!", at=start)
    _says(platform, world, "How much is the rent?", at=start + dt.timedelta(seconds=12))
    _says(platform, world, "And do you allow dogs?", at=start + dt.timedelta(seconds=30))

    # when: one ingest reads them all
    summary = ingest(account.pk)

    # then: one standing decision answers all three, and one reply (price and pets) is on its way
    assert summary.new_inbound == 3
    conversation = Conversation.objects.get(account=account)
    standing = Decision.objects.filter(conversation=conversation, superseded_by__isnull=True)
    assert standing.count() == 1
    decision = standing.get()
    assert sorted(decision.burst_message_ids) == sorted(conversation.messages.values_list("pk", flat=True))
    assert {"price", "pets"} <= set(decision.intents)
    replies = _live_replies(account)
    assert len(replies) == 1
    assert replies[0].status == "queued"
    assert "2,450" in replies[0].body
    assert "small dogs" in replies[0].body
    # The replies written on the way for the first messages were withdrawn, none of them sent.
    assert set(
        OutboundMessage.objects.filter(account=account).exclude(pk=replies[0].pk).values_list("status", flat=True)
    ) <= {"cancelled"}
    assert AuditLog.objects.filter(action="outbound.superseded").count() == 2
    assert decide_jobs == []

    # and: the send job sends exactly that one reply
    send_account_run(account_id=account.pk)
    assert [body for _thread, body in platform.sent] == [replies[0].body]


def test_the_bot_waits_while_the_renter_is_still_writing_then_answers_the_whole_burst(
    clock: time_machine.Coordinates,
    platform: FakePlatform,
    world: World,
    account: PlatformAccount,
    decide_jobs: list[tuple[int, float]],
    ingest: Any,
) -> None:
    # given: a message written five seconds before the ingest reads it
    _says(platform, world, "Is the apartment still available?", at=MONDAY_0800_NY - dt.timedelta(seconds=5))

    # when: ingest reads it, the bot waits for the burst to settle
    ingest(account.pk)
    first = Message.objects.get(conversation__account=account)
    assert not Decision.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert first.decide_after == MONDAY_0800_NY + dt.timedelta(seconds=WINDOW - 5)
    assert decide_jobs == [(first.pk, WINDOW - 5)]

    # when: twenty seconds later the renter adds a question, and the next ingest reads it
    clock.shift(20)
    _says(platform, world, "What's the rent?", at=MONDAY_0800_NY + dt.timedelta(seconds=18))
    ingest(account.pk)

    # then: still waiting; the burst now settles 45 s after the last message (within 50 s of the first)
    second = Message.objects.get(conversation__account=account, body="What's the rent?")
    first.refresh_from_db()
    settles = MONDAY_0800_NY + dt.timedelta(seconds=45)  # min(18 + 45, -5 + 50)
    assert first.decide_after == second.decide_after == settles
    assert decide_jobs[-1] == (second.pk, 25)
    assert not Decision.objects.exists()

    # when: the first job runs early (it was enqueued for the old settle time), nothing is decided yet
    clock.shift(19)
    assert tasks.decide_message(first.pk) is None
    assert len(decide_jobs) == 2  # The settle time did not move: no new job.

    # when: the burst settles and its job runs
    clock.shift(10)
    decision_id = tasks.decide_message(second.pk)

    # then: one decision for both, one reply answering both, nothing left waiting
    decision = Decision.objects.get(pk=decision_id)
    assert sorted(decision.burst_message_ids) == sorted([first.pk, second.pk])
    assert decision.message_id == second.pk
    assert Decision.objects.count() == 1
    (reply,) = _live_replies(account)
    assert "2,450" in reply.body
    assert not Message.objects.filter(decide_after__isnull=False).exists()
    # The first message's own job, run again, finds it answered.
    assert tasks.decide_message(first.pk) == decision.pk


def test_a_message_seen_late_supersedes_the_reply_not_yet_sent(
    clock: time_machine.Coordinates,
    platform: FakePlatform,
    world: World,
    account: PlatformAccount,
    decide_jobs: list[tuple[int, float]],
    ingest: Any,
) -> None:
    # given: a settled message answered by a queued reply
    start = MONDAY_0800_NY - dt.timedelta(seconds=60)
    _says(platform, world, "Is the room still free?", at=start)
    ingest(account.pk)
    (first_reply,) = _live_replies(account)
    first_decision = Decision.objects.get()
    assert first_reply.status == "queued"

    # when: the platform shows late a message the renter wrote 20 s after the first
    _says(platform, world, "Is parking included?", at=start + dt.timedelta(seconds=20))
    ingest(account.pk)

    # then: the first reply is superseded through the outbox, the new one answers both
    first_reply.refresh_from_db()
    first_decision.refresh_from_db()
    assert first_reply.status == "cancelled"
    assert first_reply.rejected_reason.startswith("superseded")
    (reply,) = _live_replies(account)
    assert first_decision.superseded_by_id == reply.decision_id
    assert reply.decision is not None
    assert len(reply.decision.burst_message_ids) == 2
    assert {"availability", "parking"} <= set(reply.decision.intents)
    assert "garage spot" in reply.body

    # and: exactly one message reaches the renter
    send_account_run(account_id=account.pk)
    assert len(platform.sent) == 1


def test_a_reply_already_sent_stands_and_the_late_message_gets_its_own(
    clock: time_machine.Coordinates,
    platform: FakePlatform,
    world: World,
    account: PlatformAccount,
    decide_jobs: list[tuple[int, float]],
    ingest: Any,
) -> None:
    # given: a settled message whose reply has been sent
    start = MONDAY_0800_NY - dt.timedelta(seconds=60)
    _says(platform, world, "Is the room still free?", at=start)
    ingest(account.pk)
    send_account_run(account_id=account.pk)
    (sent,) = _live_replies(account)
    assert sent.status == "sent"

    # when: a message from within the window (and settled: 50 s old) shows up late
    _says(platform, world, "Is parking included?", at=start + dt.timedelta(seconds=10))
    ingest(account.pk)

    # then: nothing is cancelled, the late message is answered on its own (never sent twice, never lost)
    assert not OutboundMessage.objects.filter(status="cancelled").exists()
    replies = _live_replies(account)
    assert len(replies) == 2
    assert replies[1].decision is not None
    assert replies[1].decision.burst_message_ids == [replies[1].decision.message_id]
    assert Decision.objects.filter(superseded_by__isnull=False).count() == 0


def test_a_burst_whose_decision_job_was_lost_is_decided_by_the_sweep(
    clock: time_machine.Coordinates,
    platform: FakePlatform,
    world: World,
    account: PlatformAccount,
    decide_jobs: list[tuple[int, float]],
    ingest: Any,
) -> None:
    # given: a message the bot waits on, and its job lost with the broker
    _says(platform, world, "Hello, is it available?", at=MONDAY_0800_NY)
    ingest(account.pk)
    assert decide_jobs
    assert not Decision.objects.exists()

    # when: the sweep runs before the grace has passed, it leaves the job its chance
    clock.shift(WINDOW + 1)
    assert decisions_due() == 0

    # when: it runs after the grace
    clock.shift(60)
    assert decisions_due() == 1

    # then: the message is answered once
    assert Decision.objects.count() == 1
    assert len(_live_replies(account)) == 1
    assert decisions_due() == 0
