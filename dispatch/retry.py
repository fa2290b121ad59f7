"""Retry budgets per platform and error type, read from settings (never hard-coded)."""

from __future__ import annotations

import random

from django.conf import settings

from platforms.connectors.errors import CircuitOpen, ConnectorError, RateLimited


def budget(platform: str, error: ConnectorError | str) -> int:
    """Return how many attempts an error type gets on a platform before the job is dead-lettered."""
    name = error if isinstance(error, str) else error.error_class
    per_platform = settings.LEASEBOT_RETRY_BUDGETS_PER_PLATFORM.get(platform, {})
    if name in per_platform:
        return int(per_platform[name])
    return int(settings.LEASEBOT_RETRY_BUDGETS.get(name, 0))


def may_retry(platform: str, error: ConnectorError, attempts: int) -> bool:
    """Return whether a job that failed with ``error`` after ``attempts`` tries may run again."""
    return error.retryable and attempts <= budget(platform, error)


def spends_attempt(error: ConnectorError) -> bool:
    """Whether a failure counts against a row's budget: not when nothing reached the platform.

    An open circuit, or our own token bucket or back-off, refuses before any request
    leaves; counting those would turn a short outage into dead letters.
    """
    if isinstance(error, CircuitOpen):
        return False
    return not (isinstance(error, RateLimited) and error.extra.get("source") in {"bucket", "backoff"})


def retry_delay(platform: str, error: ConnectorError, attempts: int) -> float:
    """Seconds before a failed row may be claimed again.

    The platform's Retry-After (or the circuit's time to half-open) when known; else
    exponential backoff with full jitter from ``LEASEBOT_RETRY_BACKOFF_S`` for the error type,
    overridable per platform.
    """
    known = getattr(error, "retry_after", None)
    if isinstance(error, RateLimited | CircuitOpen) and known:
        return float(known)
    name = error.error_class
    per_platform = settings.LEASEBOT_RETRY_BACKOFF_PER_PLATFORM.get(platform, {})
    table = settings.LEASEBOT_RETRY_BACKOFF_S
    base, cap = per_platform.get(name) or table.get(name) or table["default"]
    ceiling = min(float(cap), float(base) * 2.0 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def countdown(error: ConnectorError, retries: int) -> float:
    """Return the delay before the next try: the platform's Retry-After, else backoff with full jitter.

    Capped below the broker's visibility timeout (a longer ETA on Redis runs the task twice).
    """
    cap = float(settings.LEASEBOT_MAX_COUNTDOWN_SECONDS)
    if isinstance(error, RateLimited) and error.retry_after:
        return min(cap, float(error.retry_after))
    base = min(cap, 2.0 ** max(0, retries) * 2)
    return random.uniform(base / 2, base)
