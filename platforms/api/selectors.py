"""Reads behind the platform endpoints: health roll-ups and the caller's profile."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db.models import Count

from dispatch.choices import DeadLetterStatus
from dispatch.models import DeadLetter
from platforms.choices import CircuitState
from platforms.models import Platform, PlatformAccount
from platforms.roles import accounts_for_user, user_role


def _latest(values: list[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def platform_health(*, user: AbstractUser) -> list[dict[str, Any]]:
    """Return per-platform health with the accounts the user may see (three queries in all)."""
    accounts = list(accounts_for_user(user).select_related("platform").order_by("platform__slug", "label"))
    visible_ids = [a.pk for a in accounts]
    dead = dict(
        DeadLetter.objects.filter(status=DeadLetterStatus.OPEN, account_id__in=visible_ids)
        .values_list("platform")
        .annotate(n=Count("id"))
        .values_list("platform", "n")
    )
    by_platform: dict[int, list[PlatformAccount]] = defaultdict(list)
    for account in accounts:
        by_platform[account.platform_id].append(account)
    rows = []
    for platform in Platform.objects.order_by("slug"):
        mine = by_platform.get(platform.pk, [])
        rows.append(
            {
                "slug": platform.slug,
                "name": platform.name,
                "is_active": platform.is_active,
                "last_ingest_success_at": _latest([a.last_ingest_success_at for a in mine]),
                "last_send_success_at": _latest([a.last_send_success_at for a in mine]),
                "ingest_error_count": sum(a.ingest_error_count for a in mine),
                "send_error_count": sum(a.send_error_count for a in mine),
                "open_circuits": sum(1 for a in mine if a.circuit_state != CircuitState.CLOSED),
                "accounts_needing_login": sum(1 for a in mine if a.needs_operator_login),
                "accounts_disabled": sum(1 for a in mine if not a.is_active),
                "open_dead_letters": dead.get(platform.slug, 0),
                "accounts": mine,
            }
        )
    return rows


def user_profile(*, user: AbstractUser) -> dict[str, Any]:
    """Return the caller's id, name, role and display time zone (None: use the browser's)."""
    from inbox.models import AgentProfile

    tz = AgentProfile.objects.filter(user_id=user.pk).values_list("timezone", flat=True).first()
    return {"id": user.pk, "username": user.get_username(), "role": user_role(user), "timezone": tz}
