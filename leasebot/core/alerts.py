"""Alerts to ops: always to the log, and to a webhook when one is configured.

An alert of the same kind about the same object is sent at most once per quiet period,
so a captcha storm raises one page, not a thousand.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone

from leasebot.core import metrics
from leasebot.core.redis import client as redis_client

logger = logging.getLogger("leasebot.core.alerts")

QUIET_PERIOD_S = 600


def alert(kind: str, message: str, *, key: str = "", **facts: Any) -> bool:
    """Raise an alert; return whether it went out (False when inside the quiet period)."""
    dedup = f"leasebot:alert:{kind}:{key}"
    try:
        fresh = redis_client().set(dedup, "1", nx=True, ex=QUIET_PERIOD_S)
    except redis.RedisError:
        fresh = True  # Better a repeated alert than a lost one.
    if not fresh:
        return False
    logger.error("ALERT %s: %s %s", kind, message, json.dumps(facts, default=str, sort_keys=True))
    metrics.inc("leasebot_alerts_total", kind=kind)
    url = settings.LEASEBOT_ALERT_WEBHOOK_URL
    if url:
        payload = json.dumps(
            {"kind": kind, "message": message, "facts": facts, "at": timezone.now().isoformat()}, default=str
        ).encode()
        request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310 - the URL is the operator's own setting.
        try:
            with urllib.request.urlopen(request, timeout=3):  # noqa: S310 - as above.
                pass
        except (urllib.error.URLError, OSError) as exc:
            logger.warning("alert webhook failed: %s", type(exc).__name__)
    return True
