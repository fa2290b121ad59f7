"""SIGKILL the worker at random points of many send jobs, restart it: every reply goes out exactly once."""

from __future__ import annotations

import random
import time

import pytest

from tests.chaos.conftest import FULL, Rig
from tests.support import poll

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.browser, pytest.mark.slow]

#: (accounts, threads per account, replies per thread, kills)
SIZE = (4, 13, 4, 8) if FULL else (2, 3, 2, 2)


def test_sigkill_during_sends_never_duplicates_nor_loses(rig: Rig) -> None:
    accounts_n, threads, per_thread, kills = SIZE
    # given: agent replies queued on several accounts (>= 200 in the full run)
    platforms = ["spareroom", "leasebreak", "renthop", "roomies"][:accounts_n]
    accounts = [rig.add_account(p) for p in platforms]
    for account in accounts:
        rig.queue_replies(account, threads=threads, per_thread=per_thread)
    total = rig.open_rows()
    rig.start_worker(name="victim", concurrency=2)
    rig.send_jobs()
    killed_at: list[int] = []
    started = time.monotonic()
    # when: the worker is killed (whole process group, SIGKILL) at random points, then restarted
    for round_no in range(kills):
        before = rig.platform_sends()
        target = before + random.randint(1, max(2, (total - before) // (kills - round_no + 1)))
        # Soft on purpose: the fault lands wherever the fleet has got to by then.
        poll(lambda t=target: rig.platform_sends() >= t, timeout=60, interval=0.05)  # type: ignore[misc]
        time.sleep(random.uniform(0, 0.4))  # Land anywhere: before the click, between click and commit, after.
        rig.kill_workers()
        killed_at.append(rig.platform_sends())
        rig.recover(name=f"r{round_no}", concurrency=2)
        rig.send_jobs()
    # then: once the fleet has settled, every reply is sent exactly once or accounted for
    settled = rig.drain(timeout=480 if FULL else 150)
    fig = rig.figures(
        "sigkill_worker",
        kills=len(killed_at),
        sends_at_kills=",".join(map(str, killed_at)),
        seconds=round(time.monotonic() - started, 1),
    )
    assert settled, rig.worker_logs()
    assert fig.agent_rows == total
    rig.assert_bar(fig)
    # Agent replies are approved by a person: each one is sent, or dead-lettered after too many lost workers.
    assert fig.sent_rows + fig.dead + fig.unknown == total
