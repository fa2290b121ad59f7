"""At most one waiting job per kind and key: a reservation taken at enqueue, released when the job starts.

A beat tick, a burst of new replies or a restart must not pile jobs up behind a busy
worker: a job that is already waiting will do the work of the next one. The reservation
is a Redis key with a lifetime equal to the job's expiry, so a job the broker loses (or
that expires unrun) frees its slot by itself; its value is the time the job was enqueued, so
the health board and ``/metrics`` can say how long the oldest job has waited. Redis being down fails open: the job is
enqueued (correctness never depends on this; the database's locks and keys keep it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import redis

from leasebot.core.redis import client as redis_client

logger = logging.getLogger(__name__)

PREFIX = "leasebot:pending"


def _key(kind: str, key: int | str) -> str:
    return f"{PREFIX}:{kind}:{key}"


#: Reserve each key not already held (``SET NX EX``); return the 1-based positions of those reserved now.
_RESERVE = """
local reserved = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'EX', ARGV[2]) then
    reserved[#reserved + 1] = i
  end
end
return reserved
"""
#: Keys per script call: one round trip each, a bounded time inside Redis.
RESERVE_CHUNK = 2000


def reserve_many(kind: str, keys: Iterable[int], ttl_s: int) -> list[int]:
    """Reserve a waiting slot for each key; return the keys reserved now (the others already wait).

    One script call per chunk of keys, run inside Redis: a beat tick over thousands of accounts
    costs a round trip per chunk and no per-key command to build or answer to parse.
    """
    wanted = list(keys)
    if not wanted:
        return []
    now = f"{time.time():.3f}"
    ttl = str(max(1, int(ttl_s)))
    reserved: list[int] = []
    try:
        script = redis_client().register_script(_RESERVE)
        for start in range(0, len(wanted), RESERVE_CHUNK):
            chunk = wanted[start : start + RESERVE_CHUNK]
            positions = script(keys=[_key(kind, key) for key in chunk], args=[now, ttl])
            reserved += [chunk[int(i) - 1] for i in positions]
    except redis.RedisError:
        logger.warning("pending-job reservations unavailable (redis); enqueuing all %d %s job(s)", len(wanted), kind)
        return wanted
    return reserved


def reserve(kind: str, key: int, ttl_s: int) -> bool:
    """Reserve one waiting slot; False when a job of that kind and key already waits."""
    return bool(reserve_many(kind, [key], ttl_s))


def release(kind: str, key: int) -> None:
    """The job started: the next tick may enqueue another (the account lock keeps them apart)."""
    try:
        redis_client().delete(_key(kind, key))
    except redis.RedisError:
        logger.warning("pending-job reservation %s:%s not released (redis); it lapses by itself", kind, key)


def held(kind: str, keys: Iterable[int]) -> int:
    """How many of these keys have a job of this kind waiting (``EXISTS`` per chunk); 0 without Redis."""
    wanted = [_key(kind, key) for key in keys]
    try:
        client = redis_client()
        return sum(
            int(client.exists(*wanted[start : start + RESERVE_CHUNK])) for start in range(0, len(wanted), RESERVE_CHUNK)
        )
    except redis.RedisError:
        return 0


def waiting(kind: str) -> int:
    """How many jobs of a kind wait (reservations held), for health and metrics."""
    try:
        return sum(1 for _ in redis_client().scan_iter(match=_key(kind, "*"), count=1000))
    except redis.RedisError:
        return 0


def waiting_since(kind: str) -> dict[int, float]:
    """Return, per key with a waiting job of this kind, when it was enqueued (epoch seconds); {} without Redis."""
    try:
        client = redis_client()
        keys = list(client.scan_iter(match=_key(kind, "*"), count=1000))
        values = client.mget(keys) if keys else []
    except redis.RedisError:
        return {}
    out: dict[int, float] = {}
    for key, value in zip(keys, values, strict=True):
        name = key.decode() if isinstance(key, bytes) else str(key)
        raw = value.decode() if isinstance(value, bytes) else str(value)
        try:
            out[int(name.rsplit(":", 1)[1])] = float(raw)
        except (TypeError, ValueError):
            continue  # Gone since the scan, or written by an older release ("1"): no age to tell.
    return out
