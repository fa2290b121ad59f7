"""Leasing reports a manager reads: speed of first reply and the funnel, per platform, account or unit.

Definitions (also in ``docs/observability.md``):

- a *lead* is a conversation whose first inbound message was sent in the period;
- *time to first reply* runs from that first inbound message to the first outbound
  message on the thread at or after it; *bot* when lease-bot sent it (``sent_by_bot``),
  *human* when an agent did (on the platform or through the review UI);
- *within 60 s* is the share of leads answered within 60 seconds (unanswered leads count
  as not answered in time);
- *lead to showing* is the share of leads with at least one showing that was not
  cancelled; *showing to application* is the share of those leads that reached the
  ``application`` outcome (now, or on any decision);
- *opt-outs* are leads that opted out;
- *showing steps* count the showings booked in the period at each step of their life
  (``inbox.services.showing_steps_report``): confirmation asked, confirmed, reminded,
  cancelled, rescheduled, completed, no-show, new times offered, application sent, nudged.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Subquery

from inbox.choices import Direction, ShowingStatus, WorkflowOutcome
from inbox.models import Conversation, Decision, Message, Showing
from inbox.services import showing_steps_report

GROUPS = ("platform", "account", "unit")
WITHIN_SECONDS = 60


def percentile(values: list[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) with linear interpolation, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _timing(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "median_seconds": None if not values else round(percentile(values, 50) or 0.0, 3),
        "p95_seconds": None if not values else round(percentile(values, 95) or 0.0, 3),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def lead_rows(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Return one row per lead of the period with its first reply and funnel facts."""

    first_reply = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Direction.OUTBOUND, sent_at__gte=OuterRef("first_in")
    ).order_by("sent_at", "id")
    qs = (
        Conversation.objects.annotate(
            first_in=Subquery(
                Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.INBOUND)
                .order_by("sent_at", "id")
                .values("sent_at")[:1]
            )
        )
        .filter(first_in__gte=start, first_in__lt=end)
        .annotate(
            first_out=Subquery(first_reply.values("sent_at")[:1]),
            first_out_bot=Subquery(first_reply.values("sent_by_bot")[:1]),
            had_showing=Exists(
                Showing.objects.filter(conversation=OuterRef("pk")).exclude(status=ShowingStatus.CANCELLED)
            ),
            reached_application=Exists(
                Decision.objects.filter(conversation=OuterRef("pk"), workflow_outcome=WorkflowOutcome.APPLICATION)
            ),
        )
        .values(
            "pk",
            "account_id",
            "account__label",
            "account__platform__slug",
            "unit_id",
            "unit__name",
            "unit__listing__title",
            "first_in",
            "first_out",
            "first_out_bot",
            "had_showing",
            "reached_application",
            "workflow_outcome",
            "opted_out",
        )
        .order_by("pk")
    )
    rows = []
    for row in qs:
        delay = (row["first_out"] - row["first_in"]).total_seconds() if row["first_out"] else None
        rows.append(
            {
                "conversation": row["pk"],
                "platform": row["account__platform__slug"],
                "account": (row["account_id"], f"{row['account__platform__slug']}/{row['account__label']}"),
                "unit": (
                    row["unit_id"],
                    f"{row['unit__listing__title']} / {row['unit__name']}" if row["unit_id"] else "unlinked",
                ),
                "first_reply_seconds": delay,
                "first_reply_by": None if delay is None else ("bot" if row["first_out_bot"] else "human"),
                "showing": bool(row["had_showing"]),
                "application": bool(row["reached_application"])
                or row["workflow_outcome"] == WorkflowOutcome.APPLICATION,
                "opted_out": bool(row["opted_out"]) or row["workflow_outcome"] == WorkflowOutcome.OPTED_OUT,
            }
        )
    return rows


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    leads = len(rows)
    delays = [r["first_reply_seconds"] for r in rows if r["first_reply_seconds"] is not None]
    bot = [r["first_reply_seconds"] for r in rows if r["first_reply_by"] == "bot"]
    human = [r["first_reply_seconds"] for r in rows if r["first_reply_by"] == "human"]
    within = sum(1 for d in delays if d <= WITHIN_SECONDS)
    showings = [r for r in rows if r["showing"]]
    applications = sum(1 for r in showings if r["application"])
    opt_outs = sum(1 for r in rows if r["opted_out"])
    return {
        "leads": leads,
        "answered": len(delays),
        "first_reply": _timing(delays),
        "first_reply_bot": _timing(bot),
        "first_reply_human": _timing(human),
        "within_60s": within,
        "within_60s_share": _share(within, leads),
        "leads_with_showing": len(showings),
        "lead_to_showing": _share(len(showings), leads),
        "showings_with_application": applications,
        "showing_to_application": _share(applications, len(showings)),
        "opt_outs": opt_outs,
        "opt_out_share": _share(opt_outs, leads),
    }


def leasing_report(*, start: datetime, end: datetime, group_by: str = "platform") -> dict[str, Any]:
    """Return the period's totals and one figure set per platform, account or unit."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    rows = lead_rows(start=start, end=end)
    buckets: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    labels: dict[Any, str] = {}
    for row in rows:
        if group_by == "platform":
            key, label = row["platform"], row["platform"]
        else:
            key, label = row[group_by]
        buckets[key].append(row)
        labels[key] = label
    groups = [
        {"key": key, "label": labels[key], **_figures(buckets[key])}
        for key in sorted(buckets, key=lambda k: (labels[k] == "unlinked", labels[k]))
    ]
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "group_by": group_by,
        "totals": _figures(rows),
        "groups": groups,
        "showing_steps": showing_steps_report(since=start, until=end),
    }
