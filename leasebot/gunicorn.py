"""gunicorn's settings for the web service (``gunicorn --config python:leasebot.gunicorn``), from the environment.

Sync workers: the views are short database reads and writes; browser work runs in Celery.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request longer than this is killed and logged: nothing in the web process should take it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200
# Access log to stdout, application logs through Django's LOGGING (JSON in production).
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
