"""One beat tick over 10,000 accounts: ``dispatch.services.fanout``, time and queries, with a no-op and a real enqueue."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.services import fanout
from dispatch.tasks import ingest_account, send_account
from leasebot.celery import app
from platforms.models import Platform, PlatformAccount
from tests.benchmarks.conftest import record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ACCOUNTS = 10_000


def test_fanout_of_ten_thousand_accounts() -> None:
    # given: 10,000 active SpareRoom accounts (one in ten switched off)
    platform = Platform.objects.get(slug="spareroom")
    PlatformAccount.objects.bulk_create(
        [
            PlatformAccount(
                platform=platform,
                label=f"bench-fan-{i}",
                username=f"fan{i}@example.test",
                credential_ref="env:BENCH_PW",
                is_active=i % 10 != 0,
            )
            for i in range(ACCOUNTS)
        ],
        batch_size=2000,
    )
    enqueued: list[int] = []
    # when: the ingest tick with a no-op enqueue
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = fanout(platform_slug="spareroom", stage="ingest", enqueue=enqueued.append)
        noop_s = time.perf_counter() - started
    # the send tick (only accounts with something to send get a job)
    with CaptureQueriesContext(connection) as send_queries:
        started = time.perf_counter()
        send_result = fanout(platform_slug="spareroom", stage="send", enqueue=lambda _id: None)
        send_s = time.perf_counter() - started
    # and the ingest tick with the real Celery .delay to the broker
    app.control.purge()
    try:
        started = time.perf_counter()
        real = fanout(platform_slug="spareroom", stage="ingest", enqueue=ingest_account.delay)
        delay_s = time.perf_counter() - started
    finally:
        app.control.purge()
    # then: every runnable account got exactly one job; the switched-off ones none
    assert len(result.enqueued) == len(set(result.enqueued)) == ACCOUNTS - ACCOUNTS // 10
    assert result.skipped_inactive == ACCOUNTS // 10
    assert len(real.enqueued) == len(result.enqueued)
    assert send_result.enqueued == ()
    record(
        "fanout",
        "Fan-out of one beat tick over 10,000 accounts",
        {
            "accounts": ACCOUNTS,
            "jobs (runnable)": len(result.enqueued),
            "skipped (switched off)": result.skipped_inactive,
            "ingest tick, no-op enqueue: seconds": round(noop_s, 3),
            "ingest tick, no-op enqueue: queries": len(queries.captured_queries),
            "send tick (idle accounts skipped): seconds": round(send_s, 3),
            "send tick: queries": len(send_queries.captured_queries),
            "ingest tick, real .delay to Redis: seconds": round(delay_s, 2),
            "enqueues per second (.delay)": round(len(real.enqueued) / delay_s),
        },
        goal="fan-out of 10,000 accounts < 5 s",
        met=max(noop_s, delay_s) < 5,
        notes=(
            "The no-op tick is the database side alone (two queries, whatever the account count); the "
            f"real tick adds one broker publish per account ({send_account.name} and {ingest_account.name} "
            "share the path)."
        ),
    )
