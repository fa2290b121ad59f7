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
    settings.LEASEBOT_INGEST_SPARE_JOBS = 0  # The cadence alone; spare reads have their own tests below.
    settings.LEASEBOT_INGEST_SPARE_MIN_S = 30


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


def _idle_accounts(count: int, *, days_idle: int = 2) -> list[PlatformAccount]:
    start = timezone.now()
    accounts = [PlatformAccountFactory() for _ in range(count)]
    PlatformAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(created_at=start - timedelta(days=30))
    for account in accounts:
        ConversationFactory(account=account, last_inbound_at=start - timedelta(days=days_idle))
    return accounts


@pytest.mark.django_db
def test_spare_capacity_reads_the_accounts_read_longest_ago_early(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    _cadence(settings)
    settings.LEASEBOT_INGEST_SPARE_JOBS = 2
    # given: three idle accounts (read every 300 s on the cadence alone), read once at 10 s apart
    first, second, third = _idle_accounts(3)
    enqueued: list[int] = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for account in (first, second, third):
            scheduling.mark_enqueued("spareroom", [account.pk])
            clock.shift(10)
        clock.shift(20)  # Each read 30 s ago or more (SPARE_MIN_S), none due on its cadence.
        # when: a tick comes while no job of the platform waits (the workers keep up)
        result = _tick(enqueued)
        # then: the two read longest ago are read early, at most SPARE_JOBS of them; none is due
        assert result.enqueued == result.spare == (first.pk, second.pk)
        assert result.skipped_not_due == 1
        # the next tick reads the third, and none sooner than SPARE_MIN_S after its last read
        clock.shift(10)
        assert _tick(enqueued).spare == (third.pk,)
        clock.shift(10)
        assert _tick(enqueued).spare == ()
        clock.shift(10)
        assert set(_tick(enqueued).spare) == {first.pk, second.pk}
    assert metrics.value("leasebot_ingest_spare_reads_total", platform="spareroom") == 5


@pytest.mark.django_db
def test_no_early_read_while_the_platforms_jobs_wait(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    _cadence(settings)
    settings.LEASEBOT_INGEST_SPARE_JOBS = 2
    accounts = _idle_accounts(4)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        scheduling.mark_enqueued("spareroom", [a.pk for a in accounts])
        clock.shift(60)
        # given: two of the platform's ingest jobs still wait (the workers are behind)
        pending.reserve_many("ingest", [accounts[0].pk, accounts[1].pk], 120)
        # when: a tick comes
        result = services.fanout(platform_slug="spareroom", stage="ingest", enqueue=lambda pk: None)
        # then: nothing is read early; the cadence alone decides
        assert result.spare == ()
        assert result.enqueued == ()
        # once one has started, one early read fits, for an account whose job is not waiting
        pending.release("ingest", accounts[0].pk)
        result = services.fanout(platform_slug="spareroom", stage="ingest", enqueue=lambda pk: None)
        assert len(result.spare) == 1
        assert result.spare[0] in {accounts[0].pk, accounts[2].pk, accounts[3].pk}


@pytest.mark.django_db
def test_early_reads_keep_the_platform_floor(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    _cadence(settings)
    settings.LEASEBOT_INGEST_SPARE_JOBS = 4
    settings.LEASEBOT_INGEST_FLOOR_S = {"default": 15, "spareroom": 90}
    (account,) = _idle_accounts(1)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        scheduling.mark_enqueued("spareroom", [account.pk])
        clock.shift(60)  # Past SPARE_MIN_S (30 s), short of the platform's floor (90 s).
        assert _tick([]).spare == ()
        clock.shift(30)
        assert _tick([]).spare == (account.pk,)


@pytest.mark.django_db
def test_early_reads_go_behind_every_due_read_on_the_broker(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    from kombu import Connection

    from dispatch import tasks

    _cadence(settings)
    settings.LEASEBOT_INGEST_SPARE_JOBS = 2  # The due read counts as waiting: room for one early read.
    idle, due = _idle_accounts(2)
    with Connection(settings.CELERY_BROKER_URL) as connection:
        connection.default_channel.queue_purge("rpa")
        with time_machine.travel(timezone.now(), tick=False) as clock:
            scheduling.mark_enqueued("spareroom", [idle.pk])
            clock.shift(60)
            # when: a beat tick finds one account due (never read) and one only idle
            assert tasks.ingest_platform.run("spareroom") == 2
        # then: a worker takes the due read first, then the early one
        queue = connection.SimpleQueue("rpa")
        order = []
        for _ in range(2):
            message = queue.get(timeout=5)
            order.append(message.payload[0][0])
            message.ack()
        queue.close()
    assert order == [due.pk, idle.pk]
