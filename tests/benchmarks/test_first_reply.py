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
import statistics
import time
from typing import Any

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from dispatch.latency import first_reply_latency
from dispatch.models import DispatchAttempt
from dispatch.schedules import ensure_schedules
from inbox.models import Message
from leasebot.management.commands.seed_demo import LISTINGS, Command
from platforms.models import BotSettings, PlatformAccount
from tests.benchmarks.conftest import record
from tests.chaos.conftest import Rig
from tests.platforms.factories import UserFactory
from tests.support import poll

pytestmark = [pytest.mark.worker, pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1500)]

PLATFORMS = ("spareroom", "renthop", "leasebreak")
#: The issue's fleet: 50 accounts on one 2-core browser worker (``LEASEBOT_BENCH_ACCOUNTS`` overrides).
ACCOUNTS = int(os.environ.get("LEASEBOT_BENCH_ACCOUNTS", "50"))
SECONDS, EVERY_S = 60, 3.0
#: Browser processes on the 2-core worker, as deployed (compose.yaml's ``RPA_CONCURRENCY``): a browser job
#: spends most of its time in the pacing pause, so 2 cores serve 4. ``LEASEBOT_BENCH_RPA_CONCURRENCY`` overrides.
RPA_CONCURRENCY = int(os.environ.get("LEASEBOT_BENCH_RPA_CONCURRENCY", "4"))


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
        "LEASEBOT_INGEST_SPARE_JOBS",
        "LEASEBOT_INGEST_SPARE_MIN_S",
    ):
        rig.env.pop(knob, None)  # Production values.
    ensure_schedules(PeriodicTask, IntervalSchedule)
    PeriodicTask.objects.exclude(task__in=["dispatch.ingest_platform", "dispatch.send_platform"]).update(enabled=False)
    rig.start_worker(name="bench-rpa", concurrency=RPA_CONCURRENCY, queues="rpa")
    rig.start_worker(name="bench-default", concurrency=1, queues="default")
    rig.start_beat("bench")
    # Warm-up: every account logged in and read once (its session then lives in the database), as
    # a running fleet is; the cold start of a whole fleet's logins is its own figure.
    warm_started = time.monotonic()
    ids = [a.pk for a in accounts]
    poll(
        lambda: not PlatformAccount.objects.filter(pk__in=ids, last_ingest_success_at__isnull=True).exists(),
        timeout=600,
        interval=1.0,
    )
    warm_up_s = time.monotonic() - warm_started
    since = timezone.now()
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
    reads = list(
        DispatchAttempt.objects.filter(account_id__in=ids, stage="ingest", started_at__gte=since).values_list(
            "duration_ms", flat=True
        )
    )
    window_s = (timezone.now() - since).total_seconds()
    record(
        "first_reply",
        "First reply end to end: renter message to reply on the platform",
        {
            f"accounts (a browser worker of {RPA_CONCURRENCY} processes, a tick worker of 1)": len(accounts),
            "warm-up: every account logged in and read once (s)": round(warm_up_s, 1),
            "renter messages": written,
            "renter messages read within the run": fleet.inbound,
            "seconds between renter messages": EVERY_S,
            "read (stored): p50 / p95 (s)": f"{seen.p50} / {seen.p95}",
            "drafted: p50 / p95 (s)": f"{drafted.p50} / {drafted.p95}",
            "sent on the platform: p50 / p95 (s)": f"{sent.p50} / {sent.p95}",
            "replies sent": sent.count,
            "sent within 60 s": sent.within_60s,
            "not answered by the bot (a person's)": fleet.unanswered,
            "ingest jobs after the warm-up": len(reads),
            "ingest jobs per minute": round(len(reads) / window_s * 60, 1) if window_s else 0,
            "ingest job, median (s)": round(statistics.median(reads) / 1000, 2) if reads else "-",
        },
        goal=f"p95 renter message -> reply on the platform < 60 s ({len(accounts)} accounts on one 2-core worker)",
        met=sent.p95 is not None and sent.p95 < 60 and sent.count == written == fleet.inbound,
        notes=(
            "Production pacing (a jittered 1-2 s before each browser action), the adaptive ingest cadence "
            "at its defaults (an account in flight read every 20 s, none more often than every 15 s; idle "
            "accounts read early with spare capacity, LEASEBOT_INGEST_SPARE_JOBS 4 per platform), the beat's "
            "production intervals (ingest tick 10 s). Measured after a warm-up in which every account logged "
            "in and was read once, as in a running fleet whose sessions live in the database; the warm-up's "
            "length is the cold start of the whole fleet. The read delay is mostly the wait for the "
            "account's next read: most renters write to an account nobody wrote to for a while, which the "
            "cadence alone reads every 300 s and spare capacity reads as often as the workers can go round "
            "all accounts; drafted adds the decision; sent adds the send job (its session, pacing and the "
            "platform's confirmation read). An idle read is one paced page load, about 2 s, of which "
            "1.5 s is the pacing pause, so the worker's processes, not its cores, bound the round: earlier "
            "runs (2026-12-01, another 2-core VM on which this run's 4 processes measured sent p95 51 s), "
            "2 processes with spare reads: sent p95 92 s; without them (and without the warm-up): 326 s. "
            "Replies the bot held for a person count under 'not answered'."
        ),
    )
    assert fleet.inbound == written, f"{written - fleet.inbound} renter messages were not read within the run"
