"""A soak: the demo's feeder at several times its rate against a real beat and real workers, bounded in count and time.

The demo (``make run``) posts one renter inquiry every 8 s (``run_stack --feed-every``); here
renters write every ``FEED_EVERY_S`` (four times as often in the long run) on several accounts,
new threads and follow-ups, while agents queue replies, for ``SECONDS``; the production
schedules tick (every two seconds, for the platforms in play) and the adaptive ingest cadence is in
force (short, so that the scenario fits its time). Throughout, the broker's queues are sampled:
their depth must stay within one waiting job per account and kind plus the beat's own ticks,
whatever the feed rate (the back-pressure promise). Afterwards: every renter message stored,
every reply on the platform once, nothing open. The first-reply latency the run produced is
printed with the figures (never asserted: timings stay out of pass/fail).
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from dispatch.latency import first_reply_latency
from dispatch.schedules import ensure_schedules
from inbox import enqueue as inbox_enqueue
from leasebot.core import pending
from platforms.models import BotSettings
from tests.chaos.conftest import FULL, Rig
from tests.support import broker_depth, poll

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.browser, pytest.mark.slow]

PLATFORMS = ("spareroom", "renthop", "leasebreak")
#: (accounts per platform, seconds of feeding, seconds between renter messages)
SIZE = (2, 180, 2.0) if FULL else (1, 45, 3.0)
#: The beat's interval for the send and ingest ticks (production: 15 s and 10 s): faster, so that the
#: ticks themselves are part of the load, but within what one tick process drains on a shared 2-core box.
TICK_S = 2
AGENT_REPLY_EVERY = 3  # Every third renter message, an agent also queues a reply somewhere.


def _depths(rig: Rig) -> dict[str, int]:
    return {queue: broker_depth(rig.redis.url(1), queue) for queue in ("default", "rpa")}


def test_soak_at_several_times_the_demo_feed_keeps_queues_bounded_and_loses_nothing(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_platform, seconds, feed_every = SIZE
    # given: auto-send, accounts on three platforms, the production schedules ticking every TICK_S
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    accounts = [rig.add_account(slug) for slug in PLATFORMS for _ in range(per_platform)]

    # The agents' replies enqueue their send job as production does: one waiting job per account.
    def send_once(account_id: int) -> None:
        if pending.reserve("send", account_id, 60):
            rig.send_task("dispatch.send_account", account_id)

    monkeypatch.setattr(inbox_enqueue, "send", send_once)
    rig.env.update(
        {
            "LEASEBOT_INGEST_HOT_S": "3",
            "LEASEBOT_INGEST_BASE_S": "10",
            "LEASEBOT_INGEST_MAX_S": "20",
            "LEASEBOT_INGEST_BACKOFF_RATIO": "0.01",
            "LEASEBOT_INGEST_FLOOR_S": '{"default": 2}',
        }
    )
    ensure_schedules(PeriodicTask, IntervalSchedule)
    every, _ = IntervalSchedule.objects.get_or_create(every=TICK_S, period="seconds")
    PeriodicTask.objects.update(enabled=False)
    names = [f"dispatch.{stage}_platform:{slug}" for stage in ("send", "ingest") for slug in PLATFORMS]
    updated = PeriodicTask.objects.filter(name__in=names).update(
        interval=every, expire_seconds=2 * TICK_S, enabled=True
    )
    assert updated == len(names)
    # The demo's layout (run_stack): browser jobs and the beat's ticks on workers of their own. One
    # worker on both queues lets the ticks pile up in ``default`` while its processes are all on
    # browser jobs (they expire, but wait in the queue until a process is free to drop them).
    rig.start_worker(name="soak-rpa", concurrency=2, queues="rpa")
    rig.start_worker(name="soak-default", concurrency=1, queues="default")
    rig.start_beat("soak")
    # Bound: one waiting job per account and kind, plus the beat's ticks (two per platform) and slack for
    # ticks published while the worker is busy (each expires after two intervals).
    bound = 2 * len(accounts) + 2 * 2 * len(PLATFORMS) + 4
    # when: renters write (new threads and follow-ups) and agents reply, for the soak's length
    rng = random.Random(15)
    threads: dict[int, list[str]] = {a.pk: [] for a in accounts}
    samples: list[dict[str, int]] = []
    fed = agent_replies = 0
    started = time.monotonic()
    next_feed = started
    while time.monotonic() - started < seconds:
        now = time.monotonic()
        if now >= next_feed:
            account = rng.choice(accounts)
            known = threads[account.pk]
            thread_ref, _ = rig.seed_inbound(
                account,
                thread_ref=rng.choice(known) if known and rng.random() < 0.4 else None,
                body=f"Hi! Is the room still free? I could come and see it this week ({fed}).",
            )
            if thread_ref not in known:
                known.append(thread_ref)
            fed += 1
            if fed % AGENT_REPLY_EVERY == 0:
                rig.queue_replies(rng.choice(accounts), threads=1, per_thread=1)
                agent_replies += 1
            next_feed += feed_every
        samples.append(_depths(rig))
        time.sleep(0.5)
    fed_samples = len(samples)

    # then: the fleet catches up once the feed stops, the beat still ticking (sampled all along)
    def settled() -> bool:
        samples.append(_depths(rig))
        return rig.open_rows() == 0 and rig.all_inbound_stored()

    done = bool(poll(settled, timeout=300 if FULL else 150, interval=0.5))
    rig.stop_beats()
    after = _depths(rig)
    latency: dict[str, Any] = first_reply_latency(window_s=3600)[0].as_dict()
    worst = max((s["default"] + s["rpa"] for s in samples), default=0)
    fig = rig.figures(
        "soak",
        seconds=seconds,
        renter_messages=fed,
        feed_every_s=feed_every,
        demo_rate_multiple=round(8.0 / feed_every, 1),
        agent_replies=agent_replies,
        queue_depth_max=worst,
        queue_depth_max_while_feeding=max((s["default"] + s["rpa"] for s in samples[:fed_samples]), default=0),
        queue_depth_bound=bound,
        queue_depth_after=after,
        first_reply_seen_p50_p95=(latency["seen_p50"], latency["seen_p95"]),
        first_reply_drafted_p50_p95=(latency["drafted_p50"], latency["drafted_p95"]),
        first_reply_sent_p50_p95=(latency["sent_p50"], latency["sent_p95"]),
    )
    assert done, rig.worker_logs()
    assert fed >= seconds / feed_every - 1
    assert worst <= bound, f"queue depth {worst} past its bound {bound}: {samples[-20:]}"
    assert after["default"] + after["rpa"] <= bound
    rig.assert_bar(fig)
    assert fig.inbound_stored == fig.inbound_seeded == fed + agent_replies  # queue_replies seeds a thread too.
    assert fig.agent_rows == agent_replies
    assert fig.sent_rows >= agent_replies
