"""The per-account Redis lock: at most one browser job per account at a time.

The lock limits concurrency only; correctness (exactly-once) comes from the database's
row locks, unique keys and status checks, so a lock that expires while its holder is
paused costs at most some wasted work, never a duplicate.

It is redis-py's :class:`redis.lock.Lock` (a random token per holder, compare-and-set
scripts for extend and release) on the key ``leasebot:lock:account:<id>``. Taking it
fails loudly when Redis is down; once it is held, a Redis outage only costs a warning:
the job goes on and the lock expires by itself.

While a job holds it, a keep-alive thread extends it every third of its TTL, so a long
step (a big inbox read, a slow site) never lets a second job in on the account. A holder
that dies (SIGKILL, the task's hard time limit) takes the thread with it, and the lock
lapses one TTL later.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import redis
from django.conf import settings
from redis.exceptions import LockError
from redis.lock import Lock

from leasebot.core.redis import client as redis_client

logger = logging.getLogger(__name__)


class AccountLock:
    """A held lock; call :meth:`extend` while working so it does not lapse."""

    def __init__(self, lock: Lock, ttl_s: int) -> None:
        self.lock = lock
        self.key = lock.name
        self.ttl_s = ttl_s
        self.extensions = 0
        self.lost = False
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def keep_alive(self) -> None:
        """Extend the lock every third of its TTL from a daemon thread until :meth:`release`."""

        def run() -> None:
            while not self._stop.wait(self.ttl_s / 3):
                if not self.extend():
                    self.lost = True
                    logger.warning("account lock %s lost while its job ran", self.key)
                    return

        self._keeper = threading.Thread(target=run, name=f"keep-alive {self.key}", daemon=True)
        self._keeper.start()

    def extend(self) -> bool:
        """Push the expiry out to a full TTL again; return False if the lock was lost meanwhile."""
        try:
            extended = bool(self.lock.extend(self.ttl_s, replace_ttl=True))
            self.extensions += extended
            return extended
        except LockError:
            # Not ours any more (it expired, maybe another job took it), or already released.
            return False
        except redis.RedisError:
            logger.warning("account lock %s could not be extended (redis unavailable)", self.key)
            return False

    def release(self) -> None:
        """Stop the keep-alive; delete the lock if this holder still owns it (a lock lost meanwhile is left alone)."""
        self._stop.set()
        if self._keeper is not None and self._keeper is not threading.current_thread():
            self._keeper.join()
        try:
            self.lock.release()
        except LockError:
            return
        except redis.RedisError:
            logger.warning("account lock %s could not be released (redis unavailable); it expires by itself", self.key)


@contextlib.contextmanager
def account_lock(account_id: int, *, ttl_s: int | None = None, keep_alive: bool = True) -> Iterator[AccountLock | None]:
    """Try to take the account's lock without waiting; yield None when another job holds it.

    Held, it is kept alive (see the module's docstring) unless ``keep_alive`` is False.
    """
    ttl = ttl_s or settings.LEASEBOT_ACCOUNT_LOCK_TTL_S
    # Not thread-local: the token belongs to this AccountLock, whichever thread extends or releases it.
    lock: Lock = redis_client().lock(
        f"leasebot:lock:account:{account_id}", timeout=ttl, blocking=False, thread_local=False
    )
    if not lock.acquire():
        yield None
        return
    held = AccountLock(lock, ttl)
    if keep_alive:
        held.keep_alive()
    try:
        yield held
    finally:
        held.release()
