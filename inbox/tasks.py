"""Thin Celery tasks over the inbox services."""

from __future__ import annotations

from celery import shared_task

from inbox.services import followups_due


@shared_task(name="inbox.follow_ups_sweep", ignore_result=True)
def follow_ups_sweep() -> int:
    """Create the follow-ups that are due (beat: every 5 minutes; idempotent under duplicate beats)."""
    return followups_due()
