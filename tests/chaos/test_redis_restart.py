"""Restart the (private) Redis mid-run: queues, locks and buckets vanish; the database still guards every send."""

from __future__ import annotations

import time

import pytest

from tests.chaos.conftest import FULL, Rig
from tests.support import poll

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.browser, pytest.mark.slow]

#: (threads per account, replies per thread, restarts)
SIZE = (10, 5, 3) if FULL else (3, 3, 1)


def test_redis_restart_mid_run_loses_no_message_and_sends_none_twice(rig: Rig) -> None:
    threads, per_thread, restarts = SIZE
    # given: two accounts with queued replies and renter messages, a worker sending and reading
    accounts = [rig.add_account("spareroom"), rig.add_account("leasebreak")]
    for account in accounts:
        rig.queue_replies(account, threads=threads, per_thread=per_thread)
    total = rig.open_rows()
    rig.start_worker(name="w", concurrency=2)
    rig.send_jobs()
    rig.ingest_jobs()
    started = time.monotonic()
    # when: Redis is killed and started again (empty) while sends are under way, more than once
    for n in range(restarts):
        target = rig.platform_sends() + max(1, total // (3 * restarts))
        # Soft on purpose: the fault lands wherever the fleet has got to by then.
        poll(lambda t=target: rig.platform_sends() >= t, timeout=60, interval=0.05)  # type: ignore[misc]
        rig.redis.restart()
        # Renters keep writing while the broker is empty again.
        for account in accounts:
            rig.seed_inbound(account, body=f"Hello again after restart {n}, still interested in the room.")
    # then: the same workers reconnect; beat's sweeps find the outbox rows whose jobs vanished
    settled = rig.drain(timeout=360 if FULL else 75)
    stuck = rig.open_rows()
    if not settled and stuck:
        # A job that died on the Redis error after its claim leaves the row `sending` until its lease.
        rig.recover(name="after-lease", concurrency=2)
        settled = rig.drain(timeout=90)
    fig = rig.figures(
        "redis_restart",
        restarts=rig.redis.restarts,
        stuck_until_lease=stuck,
        seconds=round(time.monotonic() - started, 1),
    )
    assert settled, rig.worker_logs()
    assert fig.agent_rows == total
    rig.assert_bar(fig)
    assert fig.sent_rows + fig.dead + fig.unknown == total
