"""Reads on the rollout: the stage, the canary set, the history and the gate figures."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from platforms.models import BotSettings, PlatformAccount
from rollout.gates import GateReport, gates_evaluate
from rollout.models import StageChange


def canary_accounts() -> QuerySet[PlatformAccount]:
    """Return the accounts marked canary, platform first."""
    return PlatformAccount.objects.filter(is_canary=True).select_related("platform").order_by("platform__slug", "label")


def stage_history(*, limit: int = 10) -> list[StageChange]:
    """Return the latest stage changes, newest first."""
    return list(StageChange.objects.order_by("-created_at", "-id")[:limit])


def rollout_status(*, report: GateReport | None = None) -> dict[str, Any]:
    """Return what ``rollout status`` prints: stage, canary set, gates and recent history."""
    row = BotSettings.load()
    report = report or gates_evaluate()
    return {
        "stage": row.rollout_stage,
        "default_send_mode": row.default_send_mode,
        "canary_share_percent": row.canary_share_percent,
        "canary_accounts": [
            {"id": a.pk, "account": str(a), "is_active": a.is_active, "send_mode": a.send_mode or row.default_send_mode}
            for a in canary_accounts()
        ],
        "gates": report.as_dict(),
        "history": [
            {
                "at": c.created_at.isoformat(),
                "from": c.from_stage,
                "to": c.to_stage,
                "actor": c.actor_label,
                "forced": c.forced,
                "automatic": c.automatic,
                "reason": c.reason,
            }
            for c in stage_history()
        ],
    }
