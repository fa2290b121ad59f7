"""Adaptive ingest: conversations in flight are read often, idle accounts back off, never past a platform's floor."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dispatch import scheduling, services
from dispatch.scheduling import Cadence, ingest_interval_s
from dispatch.services.fanout import FanoutResult
from leasebot.core import metrics, pending
from platforms.models import PlatformAccount
from tests.dispatch.fakes import FakePlatform
from tests.inbox.factories import ConversationFactory
from tests.platforms.factories import PlatformAccountFactory

CADENCE = Cadence(hot_s=20, hot_window_s=900, base_s=60, max_s=300, backoff_ratio=1 / 60, floor_s=15)


def test_interval_is_hot_in_flight_and_backs_off_with_idle_time() -> None:
    assert ingest_interval_s(0, CADENCE) == 20
    assert ingest_interval_s(900, CADENCE) == 20
    assert ingest_interval_s(901, CADENCE) == 60  # Idle a quarter hour: the base cadence.
    assert ingest_interval_s(2 * 3600, CADENCE) == 120
    assert ingest_interval_s(30 * 86400, CADENCE) == 300
    assert ingest_interval_s(None, CADENCE) == 300


def test_interval_never_beats_the_platform_floor() -> None:
    paced = Cadence(hot_s=5, hot_window_s=900, base_s=60, max_s=300, backoff_ratio=1 / 60, floor_s=45)
    assert ingest_interval_s(10, paced) == 45


@given(
    a=st.one_of(st.none(), st.floats(min_value=0, max_value=1e8)),
    b=st.one_of(st.none(), st.floats(min_value=0, max_value=1e8)),
)
def test_interval_is_bounded_and_never_shorter_for_a_longer_idle(a: float | None, b: float | None) -> None:
    for idle in (a, b):
        assert CADENCE.floor_s <= ingest_interval_s(idle, CADENCE) <= CADENCE.max_s
    never = float("inf")
    if (a if a is not None else never) <= (b if b is not None else never):
        assert ingest_interval_s(a, CADENCE) <= ingest_interval_s(b, CADENCE)


def _cadence(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_INGEST_HOT_S = 20
    settings.LEASEBOT_INGEST_HOT_WINDOW_S = 900
    settings.LEASEBOT_INGEST_BASE_S = 60
    settings.LEASEBOT_INGEST_MAX_S = 300
    settings.LEASEBOT_INGEST_BACKOFF_RATIO = 1 / 60
    settings.LEASEBOT_INGEST_FLOOR_S = {"default": 15}


def _tick(enqueued: list[int]) -> FanoutResult:
    result = services.fanout(platform_slug="spareroom", stage="ingest", enqueue=enqueued.append)
    for account_id in result.enqueued:
        pending.release("ingest", account_id)  # The job started at once.
    return result


@pytest.mark.django_db
def test_fanout_reads_accounts_in_flight_sooner_than_idle_ones(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    _cadence(settings)
    start = timezone.now()
    # given: an account whose renter wrote a minute ago, and one nobody wrote to for five hours
    hot = PlatformAccountFactory()
    idle = PlatformAccountFactory()
    PlatformAccount.objects.filter(pk__in=[hot.pk, idle.pk]).update(created_at=start - timedelta(days=30))
    ConversationFactory(account=hot, last_inbound_at=start - timedelta(minutes=1))
    ConversationFactory(
        account=idle, last_inbound_at=start - timedelta(hours=5), last_outbound_at=start - timedelta(hours=5)
    )
    enqueued: list[int] = []
    with time_machine.travel(start, tick=False) as clock:
        # when: the first tick reads both
        first = _tick(enqueued)
        assert set(first.enqueued) == {hot.pk, idle.pk}
        # then: ten seconds on, neither is due; twenty on, the one in flight is
        clock.shift(10)
        assert _tick(enqueued).enqueued == ()
        clock.shift(10)
        second = _tick(enqueued)
        assert second.enqueued == (hot.pk,)
        assert second.skipped_not_due == 1
        # the idle one (5 h idle: 300 s) comes back after five minutes
        clock.shift(280)
        assert set(_tick(enqueued).enqueued) == {hot.pk, idle.pk}
    assert metrics.value("leasebot_fanout_skipped_total", platform="spareroom", stage="ingest", reason="not_due") == 3


@pytest.mark.django_db
def test_a_reply_going_out_makes_an_idle_account_hot_at_once(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    _cadence(settings)
    start = timezone.now()
    account = PlatformAccountFactory()
    PlatformAccount.objects.filter(pk=account.pk).update(created_at=start - timedelta(days=30))
    conversation = ConversationFactory(account=account, last_inbound_at=start - timedelta(days=2))
    enqueued: list[int] = []
    with time_machine.travel(start, tick=False) as clock:
        assert _tick(enqueued).enqueued == (account.pk,)
        clock.shift(30)
        assert _tick(enqueued).enqueued == ()
        # when: an agent's approved reply goes out (the renter is likely to answer now)
        conversation.last_outbound_at = timezone.now()
        conversation.save(update_fields=["last_outbound_at"])
        # then: the account is read on the hot cadence from the next tick on
        assert _tick(enqueued).enqueued == (account.pk,)


@pytest.mark.django_db
def test_a_platform_floor_holds_a_hot_account_back(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    _cadence(settings)
    settings.LEASEBOT_INGEST_FLOOR_S = {"default": 15, "spareroom": 50}
    account = PlatformAccountFactory()
    ConversationFactory(account=account, last_inbound_at=timezone.now())
    enqueued: list[int] = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _tick(enqueued)
        clock.shift(30)
        assert _tick(enqueued).enqueued == ()
        clock.shift(20)
        assert _tick(enqueued).enqueued == (account.pk,)


@pytest.mark.django_db
def test_without_redis_every_account_is_due(monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    class Down:
        def hmget(self, *a: object) -> None:
            raise redis.ConnectionError("down")

    monkeypatch.setattr(scheduling, "redis_client", lambda: Down())
    account = PlatformAccountFactory()
    due = scheduling.due_for_ingest("spareroom", PlatformAccount.objects.filter(pk=account.pk), timezone.now())
    assert due.due == (account.pk,)
