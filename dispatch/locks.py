"""The per-account Redis lock: at most one browser job per account at a time.

The lock limits concurrency only; correctness (exactly-once) comes from the database's
row locks, unique keys and status checks, so a lock that expires while its holder is
paused costs at most some wasted work, never a duplicate.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator

import redis
from django.conf import settings

from leasebot.core.redis import client as redis_client

logger = logging.getLogger(__name__)

# Extend only if we still own the lock (compare-and-extend).
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class AccountLock:
    """A held lock; call :meth:`extend` while working so it does not lapse."""

    def __init__(self, client: redis.Redis, key: str, token: str, ttl_s: int) -> None:
        self.client = client
        self.key = key
        self.token = token
        self.ttl_s = ttl_s

    def extend(self) -> bool:
        """Push the expiry out again; return False if the lock was lost meanwhile."""
        try:
            return bool(self.client.eval(_EXTEND, 1, self.key, self.token, self.ttl_s * 1000))
        except redis.RedisError:
            logger.warning("account lock %s could not be extended (redis unavailable)", self.key)
            return False

    def release(self) -> None:
        try:
            self.client.eval(_RELEASE, 1, self.key, self.token)
        except redis.RedisError:
            logger.warning("account lock %s could not be released (redis unavailable); it expires by itself", self.key)


def _client() -> redis.Redis:
    return redis_client()


@contextlib.contextmanager
def account_lock(account_id: int, *, ttl_s: int | None = None) -> Iterator[AccountLock | None]:
    """Try to take the account's lock without waiting; yield None when another job holds it."""
    ttl = ttl_s or settings.LEASEBOT_ACCOUNT_LOCK_TTL_S
    client = _client()
    key = f"leasebot:lock:account:{account_id}"
    token = uuid.uuid4().hex
    acquired = bool(client.set(key, token, nx=True, ex=ttl))
    if not acquired:
        yield None
        return
    lock = AccountLock(client, key, token, ttl)
    try:
        yield lock
    finally:
        lock.release()
