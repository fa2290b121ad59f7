"""Each failed reply keeps its own retry time; an outage that never reaches the platform costs no attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch import connectors, retry, services
from dispatch.models import DeadLetter, DispatchAttempt
from inbox import services as inbox_services
from inbox.models import OutboundMessage
from platforms.connectors import errors
from tests.dispatch.fakes import FakePlatform
from tests.inbox.factories import ConversationFactory

pytestmark = pytest.mark.django_db

BODY = "Hi Jamie, the room is available from June 1."


def _queued(conversation=None, key=None, body=BODY):  # type: ignore[no-untyped-def]
    conversation = conversation or ConversationFactory()
    row = inbox_services.outbound_create(
        conversation=conversation, body=body, purpose="reply", dispatch_key=key or f"reply:{conversation.pk}"
    )
    assert row.status == "queued"
    return row


def test_a_failed_row_waits_for_its_retry_time(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    # given: a send that fails once with a transient error
    row = _queued()
    fake_platform.send_errors.append(errors.Transient("timeout"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        assert row.status == "failed"
        assert row.attempts == 1
        assert row.not_before is not None
        assert row.not_before > timezone.now()
        # when: the sweep comes back before the row is due
        early = services.send_account_run(account_id=row.account_id)
        # then: nothing is claimed and nothing leaves
        assert early.sent == 0
        assert fake_platform.calls.count("send") == 1
        # when: the retry time has passed
        clock.move_to(row.not_before + timedelta(seconds=1))
        services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
    assert fake_platform.sent == [(row.conversation.thread_ref, BODY)]


def test_the_platforms_retry_after_is_honoured(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    fake_platform.send_errors.append(errors.RateLimited("429", retry_after=300))
    with time_machine.travel(timezone.now(), tick=False):
        services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        assert row.not_before == timezone.now() + timedelta(seconds=300)


def test_backoff_grows_with_attempts_and_stays_under_its_cap(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_RETRY_BACKOFF_S = {"default": [10, 100]}
    settings.LEASEBOT_RETRY_BACKOFF_PER_PLATFORM = {"roomies": {"Transient": [1, 4]}}
    error = errors.Transient("timeout")
    first = [retry.retry_delay("spareroom", error, 1) for _ in range(50)]
    fifth = [retry.retry_delay("spareroom", error, 5) for _ in range(50)]
    assert all(5 <= d <= 10 for d in first)  # Full jitter within [base/2, base].
    assert all(50 <= d <= 100 for d in fifth)  # Capped: 10 * 2**4 = 160 > 100.
    assert len(set(first)) > 1  # Jitter: rows that failed together do not come back together.
    assert all(2 <= retry.retry_delay("roomies", error, 9) <= 4 for _ in range(20))  # Per platform.


def test_an_open_circuit_refused_at_send_time_spends_no_attempt(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    fake_platform.send_errors.append(errors.CircuitOpen("circuit open", retry_after=120))
    with time_machine.travel(timezone.now(), tick=False):
        summary = services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        assert row.status == "failed"
        assert row.attempts == 0
        assert row.not_before == timezone.now() + timedelta(seconds=120)
    assert summary.retry_error is None  # The sweep waits it out; the task does not retry into it.


def test_our_own_rate_limit_spends_no_attempt(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    fake_platform.send_errors.append(errors.RateLimited("local bucket", retry_after=2, source="bucket"))
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 0)


def test_an_open_circuit_claims_nothing(fake_platform: FakePlatform, auto_send, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # given: the account's circuit is open as every process sees it
    row = _queued()
    monkeypatch.setattr(connectors, "circuit_state", lambda account_id: "open")
    # when
    send = services.send_account_run(account_id=row.account_id)
    fake_platform.inbound("t9", "Is it still available?")
    ingest = services.ingest_account_run(account_id=row.account_id)
    # then: no browser traffic, no attempt spent, nothing recorded as a failure
    row.refresh_from_db()
    assert (send.skipped, ingest.skipped) == ("circuit_open", "circuit_open")
    assert (row.status, row.attempts) == ("queued", 0)
    assert fake_platform.calls == []
    assert not DispatchAttempt.objects.filter(outcome__in=["fail", "retry"]).exists()


def test_ingest_refused_by_an_opening_circuit_is_skipped_not_dead_lettered(fake_platform: FakePlatform) -> None:
    account = ConversationFactory().account
    fake_platform.fetch_errors.append(errors.CircuitOpen("circuit open", retry_after=120))
    summary = services.ingest_account_run(account_id=account.pk)
    assert summary.skipped == "circuit_open"
    assert DispatchAttempt.objects.get(account=account).outcome == "skipped"
    assert not DeadLetter.objects.exists()


def test_a_two_minute_circuit_ends_with_every_reply_sent_and_no_dead_letter(
    fake_platform: FakePlatform, auto_send, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # given: ten queued replies on one account
    first = _queued(body=f"{BODY} (#0)")
    rows = [first] + [_queued(ConversationFactory(account=first.account), body=f"{BODY} (#{i})") for i in range(1, 10)]
    start = timezone.now()
    # A small model of the guard: three timeouts in a row open the circuit for two minutes;
    # while open every call is refused before it leaves, and the shared state says so a
    # few seconds late (health is mirrored), so some jobs get as far as the refusal.
    guard = {"timeouts": 0, "opened": None}

    def opened_at() -> object:
        return guard["opened"]

    def is_open(lag: float = 0.0) -> bool:
        since = guard["opened"]
        return since is not None and since + timedelta(seconds=lag) <= timezone.now() < since + timedelta(minutes=2)

    def platform_answers() -> None:
        if is_open():
            left = (guard["opened"] + timedelta(minutes=2) - timezone.now()).total_seconds()  # type: ignore[operator]
            fake_platform.send_errors.insert(0, errors.CircuitOpen("circuit open", retry_after=left))
        elif guard["timeouts"] < 3:
            guard["timeouts"] += 1
            if guard["timeouts"] == 3:
                guard["opened"] = timezone.now()
            fake_platform.send_errors.insert(0, errors.Transient("timeout"))

    monkeypatch.setattr(connectors, "circuit_state", lambda account: "open" if is_open(lag=20) else "closed")
    fake_platform.on_send = platform_answers

    # when: the 15-second send sweep runs for ten minutes
    with time_machine.travel(start, tick=False) as clock:
        for tick in range(40):
            clock.move_to(start + timedelta(seconds=15 * tick))
            services.send_account_run(account_id=first.account_id)

    # then: the circuit did open for two minutes, and afterwards every reply went out exactly once
    assert opened_at() is not None
    assert OutboundMessage.objects.filter(pk__in=[r.pk for r in rows]).exclude(status="sent").count() == 0
    assert sorted(body for _thread, body in fake_platform.sent) == sorted(r.body for r in rows)
    assert not DeadLetter.objects.exists()
    assert sum(OutboundMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("attempts", flat=True)) == 13
