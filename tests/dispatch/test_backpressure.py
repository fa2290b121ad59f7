"""Back-pressure: at most one waiting job per account and kind, and every job expires with its tick."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from dispatch import enqueue, services, tasks
from inbox import enqueue as inbox_enqueue
from leasebot.core import metrics, pending
from tests.dispatch.fakes import FakePlatform
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def test_a_tick_behind_a_waiting_job_adds_nothing(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    # Every account due on every tick (adaptive cadence off): only the waiting job holds one back.
    settings.LEASEBOT_INGEST_HOT_S = 0
    settings.LEASEBOT_INGEST_FLOOR_S = {"default": 0}
    # given: two accounts and a first tick that enqueued a job for each
    first, second = PlatformAccountFactory(), PlatformAccountFactory()
    enqueued: list[int] = []
    services.fanout(platform_slug="spareroom", stage="ingest", enqueue=enqueued.append)
    # when: more ticks come while those jobs wait
    for _ in range(5):
        result = services.fanout(platform_slug="spareroom", stage="ingest", enqueue=enqueued.append)
    # then: still one job per account, the rest counted as skipped
    assert sorted(enqueued) == sorted([first.pk, second.pk])
    assert result.skipped_pending == 2
    assert metrics.value("leasebot_fanout_skipped_total", platform="spareroom", stage="ingest", reason="pending") == 10
    # when: one job starts (it releases its slot), the next tick enqueues that account again
    pending.release("ingest", first.pk)
    result = services.fanout(platform_slug="spareroom", stage="ingest", enqueue=enqueued.append)
    assert result.enqueued == (first.pk,)


def test_the_reservation_lapses_with_the_jobs_expiry(fake_platform: FakePlatform, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_JOB_EXPIRES_S = {"ingest": 30, "send": 7}
    account = PlatformAccountFactory()
    services.fanout(platform_slug="spareroom", stage="ingest", enqueue=lambda _id: None)
    ttl = redis.Redis.from_url(settings.REDIS_URL).ttl(f"leasebot:pending:ingest:{account.pk}")
    assert 0 < ttl <= 30


def test_beat_jobs_carry_their_expiry(monkeypatch: pytest.MonkeyPatch, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_JOB_EXPIRES_S = {"ingest": 120, "send": 60}
    account = PlatformAccountFactory()
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.ingest_account, "apply_async", lambda args, **kw: calls.append({"args": args, **kw}))
    tasks.ingest_platform.apply(args=["spareroom"])
    assert calls == [{"args": (account.pk,), "expires": 120}]


@pytest.mark.parametrize("enqueue_send", [enqueue.send, inbox_enqueue.send])
def test_a_burst_of_replies_enqueues_one_send_job(monkeypatch: pytest.MonkeyPatch, enqueue_send: Any) -> None:
    sent: list[tuple[str, list[int], int]] = []
    monkeypatch.setattr(
        "celery.app.base.Celery.send_task",
        lambda self, name, args=None, expires=None, **kw: sent.append((name, args, expires)),
    )
    for _ in range(20):
        enqueue_send(41)
    assert sent == [("dispatch.send_account", [41], 60)]
    pending.release("send", 41)
    enqueue_send(41)
    assert len(sent) == 2


def test_redis_down_fails_open(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def pipeline(self, **kw: Any) -> Any:
            raise redis.ConnectionError("down")

    monkeypatch.setattr(pending, "redis_client", lambda: Down())
    assert pending.reserve_many("send", [1, 2, 3], 60) == [1, 2, 3]
