"""The one Redis client of the project: every lock, bucket, circuit, metric and dedupe key goes through it.

One connection pool and one client per process and URL (redis-py's pool notices a fork and
reconnects; a client is thread-safe and holds nothing but its pool), with short timeouts so a
Redis outage is an error within seconds, never a hung worker.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def _pool(url: str, decode: bool) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5, decode_responses=decode)


@functools.cache
def _client(url: str, decode: bool) -> redis.Redis:
    # Building a client costs as much as a round trip (its table of reply parsers): once per URL.
    return redis.Redis(connection_pool=_pool(url, decode))


def client(*, decode: bool = False) -> redis.Redis:
    """Return the client on ``settings.REDIS_URL`` (read at call time, so tests may override it).

    ``decode=True`` answers ``str`` instead of ``bytes``.
    """
    return _client(settings.REDIS_URL, decode)
