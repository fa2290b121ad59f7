"""The first reply end to end: a renter writes on a replica, the bot's reply appears on it; p50/p95 from the rows.

Real ``celery beat`` with the production schedules and intervals, one worker of two
processes, production pacing (``LEASEBOT_PACING_MIN_S``..``MAX_S`` at their defaults), the
adaptive ingest cadence at its defaults, auto-send at the full stage and the demo's listings
(so the bot's replies are not held for linkage). Renters write a new thread every
``EVERY_S`` on one of the accounts, for ``SECONDS``; then the run waits for the replies to go
out. The delays come from ``dispatch.latency`` (the platform's time of the renter's message,
our ``seen_at``, the outbox row's ``created_at`` and ``sent_at``); the replicas show exact
times here (the plain rendering), so no minute rounding inflates them.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from dispatch.latency import first_reply_latency
from dispatch.schedules import ensure_schedules
from inbox.models import Message
from leasebot.management.commands.seed_demo import LISTINGS, Command
from platforms.models import BotSettings
from tests.benchmarks.conftest import record
from tests.chaos.conftest import Rig
from tests.platforms.factories import UserFactory
from tests.support import poll

pytestmark = [pytest.mark.worker, pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

PLATFORMS = ("spareroom", "renthop", "leasebreak")
#: The issue's fleet: 50 accounts on one 2-core browser worker (``LEASEBOT_BENCH_ACCOUNTS`` overrides).
ACCOUNTS = int(os.environ.get("LEASEBOT_BENCH_ACCOUNTS", "50"))
SECONDS, EVERY_S = 60, 3.0


def test_first_reply_latency_end_to_end(rig: Rig) -> None:
    # given: the demo's listings, auto-send, accounts on three replicas showing exact times
    Command()._listings(UserFactory(username="bench-agent", role="agent"))
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    accounts = [rig.add_account(PLATFORMS[i % len(PLATFORMS)]) for i in range(ACCOUNTS)]
    for account in accounts:
        rig.client.set_profile(account.platform, account.username, "plain")
    for knob in (
        "LEASEBOT_PACING_MIN_S",
        "LEASEBOT_PACING_MAX_S",
        "LEASEBOT_RATE_PER_MINUTE",
        "LEASEBOT_RATE_BURST",
        "LEASEBOT_INGEST_HOT_S",
        "LEASEBOT_INGEST_BASE_S",
        "LEASEBOT_INGEST_BACKOFF_RATIO",
        "LEASEBOT_INGEST_FLOOR_S",
    ):
        rig.env.pop(knob, None)  # Production values.
    ensure_schedules(PeriodicTask, IntervalSchedule)
    PeriodicTask.objects.exclude(task__in=["dispatch.ingest_platform", "dispatch.send_platform"]).update(enabled=False)
    rig.start_worker(name="bench-rpa", concurrency=2, queues="rpa")  # The demo's layout (run_stack).
    rig.start_worker(name="bench-default", concurrency=1, queues="default")
    rig.start_beat("bench")
    # when: renters write, one new thread every EVERY_S
    rng = random.Random(60)
    written = 0
    started = time.monotonic()
    while time.monotonic() - started < SECONDS:
        account = rng.choice(accounts)
        listing: dict[str, Any] = rng.choice(LISTINGS)
        rig.client.seed_message(
            account.platform,
            account.username,
            renter_name=f"Renter {written}",
            body="Hi! Is the room still available? I'm looking to move in next month.",
            listing_ref=listing["ref"],
            listing_title=listing["title"],
        )
        written += 1
        time.sleep(EVERY_S)

    def answered() -> bool:
        return (
            Message.objects.filter(direction="in").count() >= written
            and not Message.objects.filter(direction="in", replies__isnull=True).exists()
        )

    poll(answered, timeout=420, interval=1.0)  # A miss is recorded below, not raised here.
    poll(lambda: rig.open_rows() == 0, timeout=120, interval=1.0)
    rig.stop_beats()
    # then: the run's delays, per stage
    fleet = first_reply_latency(window_s=3600)[0]
    seen, drafted, sent = (fleet.stages[s] for s in ("seen", "drafted", "sent"))
    record(
        "first_reply",
        "First reply end to end: renter message to reply on the platform",
        {
            "accounts (a browser worker of 2 processes, a tick worker of 1)": len(accounts),
            "renter messages": written,
            "renter messages read within the run": fleet.inbound,
            "seconds between renter messages": EVERY_S,
            "read (stored): p50 / p95 (s)": f"{seen.p50} / {seen.p95}",
            "drafted: p50 / p95 (s)": f"{drafted.p50} / {drafted.p95}",
            "sent on the platform: p50 / p95 (s)": f"{sent.p50} / {sent.p95}",
            "replies sent": sent.count,
            "sent within 60 s": sent.within_60s,
            "not answered by the bot (a person's)": fleet.unanswered,
        },
        goal=f"p95 renter message -> reply on the platform < 60 s ({len(accounts)} accounts on one 2-core worker)",
        met=sent.p95 is not None and sent.p95 < 60 and sent.count == written == fleet.inbound,
        notes=(
            "Production pacing (a jittered 1-2 s before each browser action), the adaptive ingest cadence "
            "at its defaults (an account in flight read every 20 s, none more often than every 15 s), the beat's "
            "production intervals (ingest tick 10 s). The read delay is mostly the cadence's wait; drafted "
            "adds the decision; sent adds the send job's login-free session, pacing and the platform's "
            "confirmation read. Replies the bot held for a person count under 'not answered'. With 50 "
            "accounts most renters write to an account nobody wrote to for a while: the cadence reads such an "
            "account every LEASEBOT_INGEST_MAX_S (300 s), which is what the read delay shows; the worker's "
            "measured capacity (the cycles benchmark) would read each of 50 accounts about every 40 s, so "
            "the next lever is a cadence that spends the fleet's spare capacity on idle accounts."
        ),
    )
    assert fleet.inbound == written, f"{written - fleet.inbound} renter messages were not read within the run"
