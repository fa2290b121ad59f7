"""Beat -> broker -> worker -> database, with real processes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from leasebot.core.models import Heartbeat
from tests.conftest import ROOT, worker_env
from tests.support import eventually

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_heartbeat_scheduled_by_beat_runs_on_a_real_worker(celery_worker_factory, purge_broker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # given: the heartbeat schedule (created by a migration) every second, and nothing else
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.exclude(name="core.heartbeat").update(enabled=False)
    PeriodicTask.objects.filter(name="core.heartbeat").update(interval=every, enabled=True)
    celery_worker_factory(queues="default")
    log = (tmp_path / "beat.log").open("wb")
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leasebot",
            "beat",
            "--max-interval",
            "1",
            "-s",
            str(tmp_path / "schedule"),
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # when: beat and the worker run until the heartbeat has been written twice
        # then: the heartbeat row was written at least twice by the worker
        eventually(
            lambda: Heartbeat.objects.filter(name="beat", beats__gte=2).exists(),
            "the worker to write beat's heartbeat twice",
            timeout=45,
            interval=0.5,
            detail=lambda: (tmp_path / "beat.log").read_text(),
        )
    finally:
        beat.terminate()
        beat.wait(timeout=20)
