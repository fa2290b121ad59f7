"""Adaptive ingest: how often each account is read, from how recently its conversations moved.

A conversation in flight (a renter's message or ours within ``LEASEBOT_INGEST_HOT_WINDOW_S``)
is where the next renter message is likely, so its account is read every
``LEASEBOT_INGEST_HOT_S``; an account nobody wrote to for a while backs off in proportion
to its idle time (``idle * LEASEBOT_INGEST_BACKOFF_RATIO``) between ``LEASEBOT_INGEST_BASE_S``
and ``LEASEBOT_INGEST_MAX_S``. No account of a platform is read more often than that
platform's floor (``LEASEBOT_INGEST_FLOOR_S``: its pacing, so a hot inbox never turns into
a request storm on one site). The beat ticks often (``dispatch.schedules``); each tick
enqueues the accounts that are due, which is what keeps a tick cheap and the queue short.

Most renters write to an account nobody wrote to for a while, which the backoff reads only
every few minutes. So the fleet's spare capacity goes to those: while fewer than
``LEASEBOT_INGEST_SPARE_JOBS`` of a platform's ingest jobs wait (the workers keep up), a tick
also enqueues the accounts not due that were read longest ago (``DueAccounts.spare``, none
sooner than ``LEASEBOT_INGEST_SPARE_MIN_S`` after its last read nor its platform's floor), at
a priority below every other job (``dispatch.enqueue.PRIORITY``): a busy fleet reads on the
cadence, an idle one reads every inbox about as often as it can.

When an account's job was last enqueued is kept in one Redis hash per platform (written for
every account a tick enqueues, read for all of a platform's accounts in one call). Losing it
(Redis restarted) makes every account due once, which the one-waiting-job rule bounds.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.db.models import F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Greatest

from inbox.models import Conversation
from leasebot.core.redis import client as redis_client
from platforms.models import PlatformAccount

logger = logging.getLogger(__name__)

PREFIX = "leasebot:ingest:enqueued"
#: Beat ticks drift by a little: an account this close to due is read on this tick, not the next.
TICK_SLACK_S = 2.0


@dataclasses.dataclass(frozen=True)
class Cadence:
    """The reading cadence in force for one platform (seconds)."""

    hot_s: float
    hot_window_s: float
    base_s: float
    max_s: float
    backoff_ratio: float
    floor_s: float
    spare_jobs: int = 0
    spare_min_s: float = 0.0

    @classmethod
    def for_platform(cls, platform_slug: str) -> Cadence:
        floors = settings.LEASEBOT_INGEST_FLOOR_S
        return cls(
            hot_s=float(settings.LEASEBOT_INGEST_HOT_S),
            hot_window_s=float(settings.LEASEBOT_INGEST_HOT_WINDOW_S),
            base_s=float(settings.LEASEBOT_INGEST_BASE_S),
            max_s=float(settings.LEASEBOT_INGEST_MAX_S),
            backoff_ratio=float(settings.LEASEBOT_INGEST_BACKOFF_RATIO),
            floor_s=float(floors.get(platform_slug, floors.get("default", 0))),
            spare_jobs=int(settings.LEASEBOT_INGEST_SPARE_JOBS),
            spare_min_s=float(settings.LEASEBOT_INGEST_SPARE_MIN_S),
        )


def ingest_interval_s(idle_s: float | None, cadence: Cadence) -> float:
    """Return how long after its last ingest an account is due again, given how long it has been idle.

    ``idle_s`` is the time since the account's latest conversation activity (None: never any).
    """
    if idle_s is not None and idle_s <= cadence.hot_window_s:
        interval = cadence.hot_s
    else:
        idle = idle_s if idle_s is not None else cadence.max_s / max(cadence.backoff_ratio, 1e-9)
        interval = min(cadence.max_s, max(cadence.base_s, idle * cadence.backoff_ratio))
    return max(interval, cadence.floor_s)


def with_activity(accounts: QuerySet[PlatformAccount]) -> QuerySet[PlatformAccount]:
    """Annotate each account with ``activity``: its conversations' latest message either way (one query)."""
    conversations = Conversation.objects.filter(account=OuterRef("pk")).order_by().values("account")
    latest_in = Subquery(conversations.annotate(m=Max("last_inbound_at")).values("m")[:1])
    latest_out = Subquery(conversations.annotate(m=Max("last_outbound_at")).values("m")[:1])
    # PostgreSQL's GREATEST ignores NULLs: an account with replies but no inbound still has activity.
    return accounts.annotate(activity=Greatest(latest_in, latest_out, F("created_at")))


def _key(platform_slug: str) -> str:
    return f"{PREFIX}:{platform_slug}"


def last_enqueued(platform_slug: str, account_ids: Sequence[int]) -> dict[int, float]:
    """Return when each account's ingest job was last enqueued (epoch seconds); {} without Redis."""
    if not account_ids:
        return {}
    try:
        values = redis_client().hmget(_key(platform_slug), [str(i) for i in account_ids])
    except redis.RedisError:
        logger.warning("ingest schedule unavailable (redis); every account of %s is due", platform_slug)
        return {}
    out: dict[int, float] = {}
    for account_id, value in zip(account_ids, values, strict=True):
        if value is not None:
            out[account_id] = float(value)
    return out


def mark_enqueued(platform_slug: str, account_ids: Iterable[int], at: float | None = None) -> None:
    """Remember that these accounts' ingest jobs were enqueued now."""
    ids = [str(i) for i in account_ids]
    if not ids:
        return
    stamp = f"{at if at is not None else time.time():.3f}"
    try:
        redis_client().hset(_key(platform_slug), mapping=dict.fromkeys(ids, stamp))
    except redis.RedisError:
        logger.warning("ingest schedule not recorded (redis); the next tick reads %d account(s) again", len(ids))


@dataclasses.dataclass(frozen=True)
class DueAccounts:
    """A tick's split of a platform's runnable accounts.

    ``spare``: accounts not due that may be read early with spare capacity, read longest ago
    first (twice ``spare_jobs`` at most: a tick uses no more than ``spare_jobs``, and a
    candidate whose job still waits is passed over); ``runnable``: every runnable account, whose
    waiting jobs tell whether the workers keep up.
    """

    due: tuple[int, ...]
    not_due: int
    hot: int
    spare: tuple[int, ...] = ()
    spare_jobs: int = 0
    runnable: tuple[int, ...] = ()


def due_for_ingest(platform_slug: str, accounts: QuerySet[PlatformAccount], now: datetime) -> DueAccounts:
    """Return the runnable accounts whose next read is due (one query and one Redis call)."""
    cadence = Cadence.for_platform(platform_slug)
    annotated: Any = with_activity(accounts)  # The stubs do not see the annotation.
    rows: list[tuple[int, datetime | None]] = list(annotated.values_list("pk", "activity"))
    stamps = last_enqueued(platform_slug, [pk for pk, _ in rows])
    epoch_now = now.timestamp()
    due: list[int] = []
    early: list[tuple[float, int]] = []
    early_after = max(cadence.spare_min_s, cadence.floor_s) - TICK_SLACK_S
    hot = 0
    for pk, activity in rows:
        idle_s = max(0.0, (now - activity).total_seconds()) if activity is not None else None
        interval = ingest_interval_s(idle_s, cadence)
        hot += int(interval <= max(cadence.hot_s, cadence.floor_s))
        last = stamps.get(pk)
        if last is None or epoch_now - last >= interval - TICK_SLACK_S:
            due.append(pk)
        elif cadence.spare_jobs > 0 and epoch_now - last >= early_after:
            early.append((last, pk))
    spare = tuple(pk for _, pk in heapq.nsmallest(2 * cadence.spare_jobs, early))
    return DueAccounts(tuple(due), len(rows) - len(due), hot, spare, cadence.spare_jobs, tuple(pk for pk, _ in rows))
