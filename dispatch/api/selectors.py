"""Reads of the worker layer for the review desk and the health board: open dead letters, work waiting."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db.models import Count, Min, Q
from django.utils import timezone

from dispatch.choices import DeadLetterStatus
from dispatch.latency import first_reply_latency
from dispatch.models import DeadLetter
from dispatch.queues import queue_depths
from inbox.api.selectors import KIND_DEAD_LETTER, QUEUE_LIMIT, queue_item
from inbox.choices import OutboundStatus
from inbox.models import OutboundMessage
from leasebot.core import pending
from platforms.api.permissions import scope_to_accounts


def _open_letters(user: AbstractUser) -> Any:
    return scope_to_accounts(DeadLetter.objects.filter(status=DeadLetterStatus.OPEN), user)


def dead_letter_queue_items(
    *,
    user: AbstractUser,
    platform: str = "",
    account: int | None = None,
    unit: int | str | None = None,
    reason: str = "",
    limit: int = QUEUE_LIMIT,
) -> list[dict[str, Any]]:
    """Return the open dead letters in scope as review-queue items, oldest first (one query).

    ``unit`` (an id or ``"none"``) keeps the letters of that unit's conversations; a dead
    letter has no hold reason, so a ``reason`` filter leaves none.
    """
    if reason:
        return []
    letters = _open_letters(user)
    if platform:
        letters = letters.filter(platform=platform)
    if account is not None:
        letters = letters.filter(account_id=account)
    if unit == "none":
        letters = letters.filter(Q(outbound__isnull=True) | Q(outbound__conversation__unit__isnull=True))
    elif unit is not None:
        letters = letters.filter(outbound__conversation__unit_id=unit)
    items = []
    related = letters.select_related("account", "outbound__conversation__unit__listing")
    for letter in related.order_by("created_at", "id")[:limit]:
        conv = letter.outbound.conversation if letter.outbound is not None else None
        items.append(
            queue_item(
                kind=KIND_DEAD_LETTER,
                key=f"dead-letter-{letter.pk}",
                conversation=conv.pk if conv else None,
                outbound=letter.outbound_id,
                dead_letter=letter.pk,
                platform=letter.platform,
                account=letter.account,
                renter_name=conv.renter_name if conv else "",
                unit=conv.unit if conv else None,
                preview=letter.error_message,
                reasons=[f"{letter.stage}: {letter.error_class}"],
                status=letter.status,
                waiting_since=letter.created_at,
            )
        )
    return items


def open_dead_letters(*, user: AbstractUser) -> int:
    """Return how many open dead letters the user may see."""
    return int(_open_letters(user).count())


def open_dead_letters_by_platform(*, user: AbstractUser) -> dict[str, int]:
    """Return the open dead letters the user may see, per platform slug (one query)."""
    return dict(_open_letters(user).values_list("platform").annotate(n=Count("id")).values_list("platform", "n"))


def _age(since: datetime | None, now: datetime) -> float | None:
    return round((now - since).total_seconds(), 1) if since is not None else None


def work_by_platform(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per platform row (with the accounts the caller sees): how far behind the fleet is.

    ``ingest_lag_seconds`` is the age of the least recent successful ingest among the
    accounts that may run (null: none has been read yet); ``jobs_waiting_*`` count the
    accounts with a job waiting in the queue; ``oldest_job_wait_seconds`` is how long the
    oldest of those has waited; ``send_queue_oldest_seconds`` the age of the oldest reply
    queued to go out; ``replies_unconfirmed_on_stopped`` the replies whose send was under way
    (``sending``, outcome not read back) on accounts that may not run now: no job reads them
    back until the account (or its platform) is switched on again. Two queries for the
    outbox, two Redis scans.
    """
    now = timezone.now()
    epoch_now = time.time()
    waiting = {stage: pending.waiting_since(stage) for stage in ("ingest", "send")}
    account_ids = [a.pk for row in rows for a in row["accounts"]]
    oldest_queued = dict(
        OutboundMessage.objects.filter(account_id__in=account_ids, status=OutboundStatus.QUEUED)
        .values("account_id")
        .annotate(oldest=Min("queued_at"))
        .values_list("account_id", "oldest")
    )
    stopped = [a.pk for row in rows for a in row["accounts"] if not (a.is_active and row["is_active"])]
    unconfirmed = dict(
        OutboundMessage.objects.filter(account_id__in=stopped, status=OutboundStatus.SENDING)
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        accounts = row["accounts"]
        runnable = [a for a in accounts if a.is_active and row["is_active"]]
        read = [a.last_ingest_success_at for a in runnable if a.last_ingest_success_at is not None]
        enqueued = [waiting[stage][a.pk] for stage in waiting for a in accounts if a.pk in waiting[stage]]
        queued = [oldest_queued[a.pk] for a in accounts if oldest_queued.get(a.pk) is not None]
        out[row["slug"]] = {
            "ingest_lag_seconds": _age(min(read), now) if read else None,
            "jobs_waiting_ingest": sum(1 for a in accounts if a.pk in waiting["ingest"]),
            "jobs_waiting_send": sum(1 for a in accounts if a.pk in waiting["send"]),
            "oldest_job_wait_seconds": round(max(0.0, epoch_now - min(enqueued)), 1) if enqueued else None,
            "send_queue_oldest_seconds": _age(min(queued), now) if queued else None,
            "replies_unconfirmed_on_stopped": sum(unconfirmed.get(a.pk, 0) for a in accounts),
        }
    return out


def queue_figures() -> dict[str, Any]:
    """The broker's queues, the account jobs waiting in them and the first-reply latency, fleet-wide (no renter data).

    ``first_reply``: the fleet (``all``, first) and each platform with renter messages in the window.
    """
    epoch_now = time.time()
    stages = []
    for stage in ("ingest", "send"):
        since = pending.waiting_since(stage)
        stages.append(
            {
                "stage": stage,
                "waiting": len(since),
                "oldest_wait_seconds": round(max(0.0, epoch_now - min(since.values())), 1) if since else None,
            }
        )
    depths = queue_depths()
    return {
        "broker_reachable": bool(depths),
        "queues": [{"name": name, "depth": depth} for name, depth in sorted(depths.items())],
        "jobs": stages,
        "first_reply": [figures.as_dict() for figures in first_reply_latency()],
    }
