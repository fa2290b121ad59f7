"""Lease-bot: leasing inbox automation over real browsers."""

from leasebot.celery import app as celery_app

__all__ = ["celery_app"]
