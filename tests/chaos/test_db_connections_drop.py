"""Drop every database connection mid-run (``pg_terminate_backend``): workers reconnect, nothing doubles."""

from __future__ import annotations

import random
import time

import pytest

from tests.chaos.conftest import FULL, Rig
from tests.support import poll

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.browser, pytest.mark.slow]

#: (threads per account, replies per thread, drops)
SIZE = (10, 5, 5) if FULL else (3, 3, 2)


def test_db_connections_dropped_mid_run_lose_nothing_and_send_nothing_twice(rig: Rig) -> None:
    threads, per_thread, drops = SIZE
    # given: two accounts with queued replies and renter messages, a worker at work
    accounts = [rig.add_account("renthop"), rig.add_account("spareroom")]
    for account in accounts:
        rig.queue_replies(account, threads=threads, per_thread=per_thread)
    total = rig.open_rows()
    worker = rig.start_worker(name="w", concurrency=2)
    rig.send_jobs()
    rig.ingest_jobs()
    started = time.monotonic()
    terminated = 0
    # when: every other backend of the test database is terminated, at random points, several times
    for _ in range(drops):
        target = rig.platform_sends() + random.randint(1, max(1, total // (2 * drops)))
        # Soft on purpose: the fault lands wherever the fleet has got to by then.
        poll(lambda t=target: rig.platform_sends() >= t, timeout=60, interval=0.05)  # type: ignore[misc]
        time.sleep(random.uniform(0, 0.3))  # Part of the fault: drop the connections at a random point.
        terminated += rig.terminate_db_connections()
        rig.send_jobs()
    sends_after_drops = rig.platform_sends()
    # then: the same worker processes carry on (no restart) ...
    # Rows whose `sent` commit died with their connection wait for their lease: once only
    # they are left and nothing moves (20 s: twice the replicas' visibility window), recover.
    settled = rig.drain(timeout=300 if FULL else 60, stalled_s=20)
    same_worker_sends = rig.platform_sends() - sends_after_drops
    still_alive = worker.proc.poll() is None
    stuck = rig.open_rows()
    if not settled and stuck:
        # ... except rows whose `sent` commit died with the connection: they wait for their lease.
        rig.recover(name="after-lease", concurrency=2)
        settled = rig.drain(timeout=90)
    fig = rig.figures(
        "db_connections_dropped",
        drops=drops,
        backends_terminated=terminated,
        sent_by_same_worker_after_drops=same_worker_sends,
        stuck_until_lease=stuck,
        seconds=round(time.monotonic() - started, 1),
    )
    assert settled, rig.worker_logs()
    assert still_alive, "the worker died when its database connection was dropped"
    assert fig.agent_rows == total
    rig.assert_bar(fig)
    assert fig.sent_rows + fig.dead + fig.unknown == total
