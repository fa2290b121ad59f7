"""The Celery application shared by every worker, beat and the web process."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leasebot.settings")

app = Celery("leasebot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
