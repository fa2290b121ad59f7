"""The one Redis client of the project: every lock, bucket, circuit, metric and dedupe key goes through it.

One connection pool per process and URL (redis-py's pool notices a fork and reconnects), with
short timeouts so a Redis outage is an error within seconds, never a hung worker.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def _pool(url: str, decode: bool) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5, decode_responses=decode)


def client(*, decode: bool = False) -> redis.Redis:
    """Return a client on ``settings.REDIS_URL`` (read at call time, so tests may override it).

    ``decode=True`` answers ``str`` instead of ``bytes``.
    """
    return redis.Redis(connection_pool=_pool(settings.REDIS_URL, decode))
