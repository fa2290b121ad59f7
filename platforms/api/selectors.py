"""Reads behind the platform endpoints: health roll-ups."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser

from platforms.choices import CircuitState
from platforms.healing import healing_health
from platforms.models import Platform, PlatformAccount
from platforms.roles import accounts_for_user


def _latest(values: list[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def platform_health(*, user: AbstractUser) -> list[dict[str, Any]]:
    """Return per-platform health with the accounts the user may see (five queries in all).

    Each row carries its locators in use (from the code or an accepted override) and its
    healing events (:func:`platforms.healing.healing_health`); the worker layer adds what it
    owns (open dead letters) to each row.
    """
    locators = healing_health()
    accounts = list(accounts_for_user(user).select_related("platform").order_by("platform__slug", "label"))
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
                "accounts": mine,
                **locators.get(platform.slug, {"locators": [], "healing": None}),
            }
        )
    return rows
