"""The beat schedules of the worker fleet, created idempotently (migration and command)."""

from __future__ import annotations

import json
from typing import Any

PLATFORM_SLUGS = ("spareroom", "roomies", "leasebreak", "renthop", "furnishedfinder")

#: The ingest fan-out's beat interval: the finest cadence an account can be read at.
INGEST_TICK_S = 10

#: (task name, every N seconds, per platform?)
SCHEDULES: tuple[tuple[str, int, bool], ...] = (
    # Ticks often; each tick enqueues only the accounts that are due (dispatch.scheduling).
    ("dispatch.ingest_platform", INGEST_TICK_S, True),
    ("dispatch.send_platform", 15, True),
    ("core.heartbeat", 30, False),
    ("inbox.follow_ups_sweep", 300, False),
    ("rollout.auto_rollback_check", 60, False),
    ("privacy.purge_expired", 86400, False),
)


def ensure_schedules(periodic_task_model: Any, interval_model: Any, *, keep_existing: bool = False) -> list[str]:
    """Create (or, unless ``keep_existing``, reset) every periodic task; return their names. Idempotent.

    ``keep_existing`` leaves a schedule an admin changed (interval, enabled) as it is.
    """
    names = []
    for task, seconds, per_platform in SCHEDULES:
        every, _ = interval_model.objects.get_or_create(every=seconds, period="seconds")
        targets = PLATFORM_SLUGS if per_platform else (None,)
        for slug in targets:
            name = f"{task}:{slug}" if slug else task
            if keep_existing and periodic_task_model.objects.filter(name=name).exists():
                continue
            periodic_task_model.objects.update_or_create(
                name=name,
                defaults={
                    "task": task,
                    "interval": every,
                    "args": json.dumps([slug] if slug else []),
                    "enabled": True,
                    # Beat may run late after a pause; a stale tick is worth nothing.
                    "expire_seconds": seconds * 2,
                },
            )
        names.append(task)
    return names
