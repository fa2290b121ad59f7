"""Thin Celery tasks of the rollout app."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from inbox.privacy import purge_expired as run
from rollout.services import rollout_auto_rollback_check


@shared_task(name="rollout.auto_rollback_check", ignore_result=True)
def auto_rollback_check() -> dict[str, Any]:
    """Beat entry point (every 60 s): roll a live stage back to shadow when a gate fails."""

    result = rollout_auto_rollback_check()
    return {"stage": result.stage, "rolled_back": result.rolled_back}


@shared_task(name="privacy.purge_expired", ignore_result=True)
def purge_expired() -> dict[str, Any]:
    """Erase renters' data past the retention period (schedule it daily)."""

    result = run()
    return {"conversations": result.conversations}
