"""The Celery application shared by every worker, beat and the web process."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leasebot.settings")

app = Celery("leasebot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_shutdown.connect
def _close_browser(**_: object) -> None:
    """Close this process's Chromium when the worker process ends (it lives as long as the process)."""
    from platforms.browser import close_runtime

    close_runtime()
