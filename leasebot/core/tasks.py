"""Periodic liveness task: beat -> broker -> worker -> database."""

from celery import shared_task

from leasebot.core.services import heartbeat_beat


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Record that the scheduler reached a worker."""
    heartbeat_beat(name="beat")
