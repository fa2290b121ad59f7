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
    assert [(c["args"], c["expires"], c["ignore_result"]) for c in calls] == [((account.pk,), 120, True)]


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
        def __getattr__(self, name: str) -> Any:
            def down(*args: Any, **kw: Any) -> Any:
                raise redis.ConnectionError("down")

            return down

    monkeypatch.setattr(pending, "redis_client", lambda: Down())
    assert pending.reserve_many("send", [1, 2, 3], 60) == [1, 2, 3]


def test_a_tick_publishes_its_jobs_in_one_pipeline_and_a_worker_can_read_them(settings) -> None:  # type: ignore[no-untyped-def]
    # given: more accounts than one pipelined chunk
    from kombu import Connection

    settings.LEASEBOT_JOB_EXPIRES_S = {"ingest": 120, "send": 60}
    accounts = [PlatformAccountFactory() for _ in range(enqueue.PUBLISH_CHUNK // 100 + 3)]
    monkey_chunk = 2
    original, enqueue.PUBLISH_CHUNK = enqueue.PUBLISH_CHUNK, monkey_chunk
    try:
        with Connection(settings.CELERY_BROKER_URL) as connection:
            connection.default_channel.queue_purge("rpa")
            # when: the beat's ingest tick runs
            published = tasks.ingest_platform.apply(args=["spareroom"]).get()
            # then: every job is on the queue as Celery wrote it, with its expiry, readable by a consumer
            queue = connection.SimpleQueue("rpa")
            bodies, ids, expiries, roots = [], [], set(), set()
            for _ in range(published):
                message = queue.get(timeout=5)
                headers, properties = message.headers, message.properties
                bodies.append((headers["task"], message.payload[0][0], headers["expires"] is not None))
                ids.append(headers["id"])
                expiries.add(headers["expires"])
                # each job is its own task: its id everywhere Celery puts it, its argument in the shown args
                assert properties["correlation_id"] == headers["id"]
                roots.add((headers["root_id"], headers["parent_id"]))
                assert headers["argsrepr"] == repr((message.payload[0][0],))
                assert message.payload[1:] == [{}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
                message.ack()
            queue.close()
    finally:
        enqueue.PUBLISH_CHUNK = original
    assert published == len(accounts)
    assert sorted(bodies) == sorted(("dispatch.ingest_account", a.pk, True) for a in accounts)
    assert len(set(ids)) == len(accounts)
    assert len(expiries) == 1  # The whole tick's jobs expire together, with the tick.
    assert len(roots) == 1  # Each job's parent and root: the beat's tick.
    assert None not in roots.pop()


def test_jobs_published_outside_a_task_are_each_their_own_root(settings) -> None:  # type: ignore[no-untyped-def]
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL) as connection:
        connection.default_channel.queue_purge("rpa")
        # when: three jobs published from outside any task (an admin's command, a shell)
        assert enqueue.publish_many(tasks.ingest_account, [7, 8, 9], expires=30) == 3
        # then: each is a root of its own, with its own argument
        queue = connection.SimpleQueue("rpa")
        seen = []
        for _ in range(3):
            message = queue.get(timeout=5)
            headers = message.headers
            seen.append((message.payload[0], headers["id"] == headers["root_id"], headers["parent_id"]))
            message.ack()
        queue.close()
    assert sorted(seen) == [([7], True, None), ([8], True, None), ([9], True, None)]


def test_a_send_job_is_served_before_the_ingest_jobs_waiting_ahead_of_it(settings) -> None:  # type: ignore[no-untyped-def]
    from kombu import Connection

    from dispatch.queues import queue_depths

    with Connection(settings.CELERY_BROKER_URL) as connection:
        connection.default_channel.queue_purge("rpa")
        # given: a tick's ingest jobs waiting on the browser queue
        accounts = [PlatformAccountFactory() for _ in range(3)]
        enqueue.publish_many(
            tasks.ingest_account, [a.pk for a in accounts], expires=60, priority=enqueue.PRIORITY["ingest"]
        )
        enqueue.ingest(999_001)
        # when: a reply is written and its account's send job enqueued after them
        enqueue.send(999_002)
        # then: the queue's depth counts every job, and a worker takes the send job first
        assert queue_depths()["rpa"] == 5
        queue = connection.SimpleQueue("rpa")
        order = []
        for _ in range(5):
            message = queue.get(timeout=5)
            order.append((message.headers["task"], message.payload[0][0]))
            message.ack()
        queue.close()
    assert order[0] == ("dispatch.send_account", 999_002)
    assert sorted(order[1:]) == sorted(
        [("dispatch.ingest_account", a.pk) for a in accounts] + [("dispatch.ingest_account", 999_001)]
    )


def test_a_yielded_send_job_waits_behind_the_reads_already_queued(settings) -> None:  # type: ignore[no-untyped-def]
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL) as connection:
        connection.default_channel.queue_purge("rpa")
        # given: two accounts' reads waiting
        enqueue.ingest(999_011)
        enqueue.ingest(999_012)
        # when: a busy account's send job used up its budget and queues its next turn
        enqueue.send(999_013, behind_reads=True)
        # then: the reads go first; the busy account's sends come after them, not before
        queue = connection.SimpleQueue("rpa")
        order = []
        for _ in range(3):
            message = queue.get(timeout=5)
            order.append((message.headers["task"], message.payload[0][0]))
            message.ack()
        queue.close()
    assert order == [
        ("dispatch.ingest_account", 999_011),
        ("dispatch.ingest_account", 999_012),
        ("dispatch.send_account", 999_013),
    ]
