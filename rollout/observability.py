"""The ``/api/v1/observability/`` snapshot: what ops look at before renters notice.

One read over a window: workflow transitions, the human-review queue (depth and age),
where offered and booked showing slots came from, how well ingest links conversations
to units, and dispatch outcomes by platform, pipeline stage and rollout stage.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from dispatch.models import DispatchAttempt
from inbox.choices import OutboundStatus
from inbox.models import Conversation, Decision, OutboundMessage, Showing
from leasebot.core import metrics
from leasebot.core.models import AuditLog
from platforms.models import BotSettings
from rollout.models import StageChange

REVIEW_STATUSES = (OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW)
LINKED = ("by_reference", "by_title")


def _age_stats(times: list[datetime], now: datetime) -> dict[str, float | None]:
    ages = sorted((now - t).total_seconds() for t in times)
    if not ages:
        return {"oldest_seconds": None, "median_seconds": None}
    return {"oldest_seconds": round(ages[-1], 3), "median_seconds": round(statistics.median(ages), 3)}


def workflow_transitions(start: datetime, end: datetime) -> dict[str, Any]:
    """Return transitions three ways: the live counters, audited workflow events, and decisions' targets."""
    counters: list[dict[str, Any]] = []
    try:
        samples = metrics.read_all()
    except Exception:  # noqa: BLE001 - a Redis outage must not take the snapshot down; the counters read empty.
        samples = {}
    for (name, labels), value in sorted(samples.items()):
        if name == "leasebot_workflow_transitions_total":
            counters.append({**dict(labels), "count": value})
    audited = (
        AuditLog.objects.filter(created_at__gte=start, created_at__lt=end, action__startswith="workflow.")
        .values("action")
        .annotate(n=Count("id"))
        .order_by("action")
    )

    decided: dict[str, dict[str, int]] = {}
    window = Decision.objects.filter(created_at__gte=start, created_at__lt=end)
    for field in ("workflow_outcome", "showing_state", "follow_up_stage"):
        decided[field] = {row[field]: row["n"] for row in window.values(field).annotate(n=Count("id")).order_by(field)}
    return {
        "counters_since_reset": counters,
        "audited_in_window": {row["action"]: row["n"] for row in audited},
        "decision_targets_in_window": decided,
    }


def review_queue(now: datetime) -> dict[str, Any]:
    """Return the human-review queue now: drafts and held replies, and conversations waiting for a person."""

    rows = list(
        OutboundMessage.objects.filter(status__in=REVIEW_STATUSES).values_list(
            "account__platform__slug", "status", "created_at"
        )
    )
    by_platform: dict[str, dict[str, Any]] = {}
    for slug in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == slug]
        by_platform[slug] = {
            "depth": len(mine),
            "pending_review": sum(1 for r in mine if r[1] == OutboundStatus.PENDING_REVIEW),
            **_age_stats([r[2] for r in mine], now),
        }
    waiting = list(Conversation.objects.filter(human_required=True).values_list("human_required_since", flat=True))
    return {
        "depth": len(rows),
        "drafts": sum(1 for r in rows if r[1] == OutboundStatus.DRAFT),
        "pending_review": sum(1 for r in rows if r[1] == OutboundStatus.PENDING_REVIEW),
        **_age_stats([r[2] for r in rows], now),
        "by_platform": by_platform,
        "conversations_human_required": len(waiting),
        "conversations_oldest_wait_seconds": _age_stats([t for t in waiting if t is not None], now)["oldest_seconds"],
    }


def _source_kinds(source: dict[str, Any]) -> list[str]:
    """Return the labels a slot's recorded source counts under (unit window, agent window, assignment)."""
    kinds: list[str] = []
    for role in ("unit_window", "agent_window"):
        window = source.get(role)
        if isinstance(window, dict):
            kinds.append(f"{role}:{window.get('kind', 'unknown')}")
    assignment = source.get("assignment")
    if isinstance(assignment, dict):
        kinds.append("assignment:primary" if assignment.get("is_primary") else "assignment:secondary")
    if source.get("group"):
        kinds.append("group_showing")
    return kinds or ["unrecorded"]


def slot_sources(start: datetime, end: datetime) -> dict[str, Any]:
    """Count the sources of slots offered (on decisions) and booked (showings) in the window."""

    offered: Counter[str] = Counter()
    offered_total = 0
    for slots in (
        Decision.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(offered_slots=[])
        .values_list("offered_slots", flat=True)
    ):
        for slot in slots or []:
            offered_total += 1
            offered.update(_source_kinds((slot or {}).get("source") or {}))
    booked: Counter[str] = Counter()
    booked_total = 0
    for source in Showing.objects.filter(created_at__gte=start, created_at__lt=end).values_list("source", flat=True):
        booked_total += 1
        booked.update(_source_kinds(source or {}))
    return {
        "offered": {"total": offered_total, "by_source": dict(sorted(offered.items()))},
        "booked": {"total": booked_total, "by_source": dict(sorted(booked.items()))},
    }


def ingest_linkage(start: datetime, end: datetime) -> dict[str, Any]:
    """Return how the conversations opened in the window were linked to a unit.

    ``rate`` is linked / judged, where judged leaves out conversations whose linkage was
    not tried yet (``pending``); ``None`` when nothing was judged.
    """

    counts = dict(
        Conversation.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list("linkage_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    linked = sum(counts.get(s, 0) for s in LINKED)
    judged = sum(n for s, n in counts.items() if s != "pending")
    per_platform: dict[str, dict[str, Any]] = defaultdict(lambda: {"linked": 0, "judged": 0})
    for slug, status, n in (
        Conversation.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list("account__platform__slug", "linkage_status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        figures = per_platform[slug]
        figures["conversations"] = figures.get("conversations", 0) + n
        if status != "pending":
            figures["judged"] += n
        if status in LINKED:
            per_platform[slug]["linked"] += n
    for figures in per_platform.values():
        figures["rate"] = round(figures["linked"] / figures["judged"], 4) if figures["judged"] else None
    return {
        "conversations": sum(counts.values()),
        "by_status": dict(sorted(counts.items())),
        "linked": linked,
        "judged": judged,
        "rate": round(linked / judged, 4) if judged else None,
        "by_platform": dict(sorted(per_platform.items())),
    }


def stage_intervals(start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
    """Split the window by the rollout stage in force, from the ``StageChange`` history."""
    changes = list(StageChange.objects.order_by("created_at", "id").values_list("created_at", "from_stage", "to_stage"))
    current = BotSettings.load().rollout_stage
    times = [c[0] for c in changes]

    def stage_at(moment: datetime) -> str:
        i = bisect.bisect_right(times, moment)
        if i > 0:
            return changes[i - 1][2]
        return changes[0][1] if changes else current

    cuts = [start, *[t for t in times if start < t < end], end]
    return [(a, b, stage_at(a)) for a, b in itertools.pairwise(cuts) if b > a]


def dispatch_outcomes(start: datetime, end: datetime) -> dict[str, Any]:
    """Return ledger outcomes in the window by platform, pipeline stage and the rollout stage in force."""
    rows: dict[tuple[str, str, str, str], int] = Counter()
    for a, b, rollout_stage in stage_intervals(start, end):
        for row in (
            DispatchAttempt.objects.filter(started_at__gte=a, started_at__lt=b)
            .values("platform", "stage", "outcome")
            .annotate(n=Count("id"))
            .order_by()
        ):
            rows[(row["platform"], row["stage"], rollout_stage, row["outcome"])] += row["n"]
    nested: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for (platform, stage, _rollout, outcome), n in sorted(rows.items()):
        nested[platform][stage][outcome] = nested[platform][stage].get(outcome, 0) + n
    outbound = OutboundMessage.objects.filter(created_at__gte=start, created_at__lt=end)
    shadow = outbound.aggregate(
        would_send=Count("id", filter=Q(shadow_would_send=True)),
        drafts=Count("id", filter=Q(status=OutboundStatus.DRAFT)),
    )
    return {
        "rows": [
            {"platform": p, "stage": s, "rollout_stage": r, "outcome": o, "count": n}
            for (p, s, r, o), n in sorted(rows.items())
        ],
        "by_platform": {p: dict(stages) for p, stages in sorted(nested.items())},
        "outbound_created_in_window": outbound.count(),
        "shadow_would_send_in_window": shadow["would_send"],
    }


def observability_snapshot(*, start: datetime, end: datetime | None = None) -> dict[str, Any]:
    """Return the whole snapshot over [start, end) (queue figures are as of now)."""
    now = timezone.now()
    end = end or now
    oldest_queued = OutboundMessage.objects.filter(status=OutboundStatus.QUEUED).aggregate(m=Min("queued_at"))["m"]
    return {
        "generated_at": now.isoformat(),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "rollout_stage": BotSettings.load().rollout_stage,
        "workflow_transitions": workflow_transitions(start, end),
        "human_review_queue": review_queue(now),
        "send_queue_oldest_seconds": round((now - oldest_queued).total_seconds(), 3) if oldest_queued else None,
        "slot_sources": slot_sources(start, end),
        "ingest_linkage": ingest_linkage(start, end),
        "dispatch": dispatch_outcomes(start, end),
    }
