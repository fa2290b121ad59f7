"""Two beat schedulers (django-celery-beat's DatabaseScheduler) at once: every schedule fires twice, nothing is sent twice."""

from __future__ import annotations

import time

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from dispatch.schedules import ensure_schedules
from tests.chaos.conftest import FULL, Rig
from tests.support import poll

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.browser, pytest.mark.slow]

#: (threads per account, replies per thread)
SIZE = (10, 4) if FULL else (3, 2)


def test_two_beats_at_once_send_nothing_twice(rig: Rig) -> None:
    threads, per_thread = SIZE
    # given: the production schedules, ticking every second for the platforms in play
    accounts = [rig.add_account("spareroom"), rig.add_account("renthop")]
    slugs = {a.platform for a in accounts}
    ensure_schedules(PeriodicTask, IntervalSchedule)
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.update(enabled=False)
    names = [f"dispatch.{stage}_platform:{slug}" for stage in ("send", "ingest") for slug in slugs]
    assert PeriodicTask.objects.filter(name__in=names).update(interval=every, enabled=True) == len(names)
    rig.start_worker(name="w", concurrency=2)
    # when: two beats run at once while replies are queued and renters write
    rig.start_beat("one")
    rig.start_beat("two")
    started = time.monotonic()
    for account in accounts:
        rig.queue_replies(account, threads=threads, per_thread=per_thread)
    total = rig.open_rows()

    def settled() -> bool:
        return rig.open_rows() == 0 and rig.all_inbound_stored()

    done = bool(poll(settled, timeout=300 if FULL else 75, interval=0.5))  # Asserted below, after the figures.
    # then: both beats ticked (so every job was enqueued at least twice) and each reply went out once
    ticks = {name: rig.beat_log(name).count("Sending due task dispatch.send_platform") for name in ("one", "two")}
    rig.stop_beats()
    fig = rig.figures("two_beats", beat_ticks=ticks, seconds=round(time.monotonic() - started, 1))
    assert done, rig.worker_logs() + rig.beat_log("one")[-3000:]
    assert all(count >= 2 for count in ticks.values()), ticks
    assert fig.agent_rows == total
    rig.assert_bar(fig)
    assert fig.sent_rows == total
