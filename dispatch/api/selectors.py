"""Reads of the worker layer for the review desk and the health board: open dead letters."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db.models import Count

from dispatch.choices import DeadLetterStatus
from dispatch.models import DeadLetter
from inbox.api.selectors import KIND_DEAD_LETTER, QUEUE_LIMIT, queue_item
from platforms.api.permissions import scope_to_accounts


def _open_letters(user: AbstractUser) -> Any:
    return scope_to_accounts(DeadLetter.objects.filter(status=DeadLetterStatus.OPEN), user)


def dead_letter_queue_items(
    *, user: AbstractUser, platform: str = "", account: int | None = None, limit: int = QUEUE_LIMIT
) -> list[dict[str, Any]]:
    """Return the open dead letters in scope as review-queue items, oldest first (one query)."""
    letters = _open_letters(user)
    if platform:
        letters = letters.filter(platform=platform)
    if account is not None:
        letters = letters.filter(account_id=account)
    items = []
    for letter in letters.select_related("account", "outbound__conversation").order_by("created_at", "id")[:limit]:
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
