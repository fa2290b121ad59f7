"""Leasing reports a manager reads: speed of first reply and the funnel, per platform, account or unit.

Definitions (also in ``docs/observability.md``):

- a *lead* is a conversation whose first inbound message was sent in the period;
- *time to first reply* runs from that first inbound message to the first outbound
  message on the thread at or after it; *human* when a person wrote it: typed on the
  platform itself (``sent_by_bot`` false), or written or approved by an agent in the review
  UI (its outbound row has ``source=agent`` or an ``approved_by``, though lease-bot's
  browser delivered it); *bot* otherwise;
- *human reply time* runs, for every wait of the period, from the renter's message that
  started it (the first inbound since the last reply) to the reply that ended it, when that
  reply was a person's (as above); a wait the bot answered, or not answered yet, has none.
  Shown as p50 and p90 over the leads' conversations and any other conversation a renter
  wrote into in the period;
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

from django.db.models import Exists, OuterRef, Q, Subquery

from inbox.choices import Direction, ShowingStatus, Source, WorkflowOutcome
from inbox.models import Conversation, Decision, Message, OutboundMessage, Showing
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


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_seconds": None if not values else round(percentile(values, 50) or 0.0, 3),
        "p90_seconds": None if not values else round(percentile(values, 90) or 0.0, 3),
    }


def _by_person(*, conversation: str, message_ref: str) -> Exists:
    """True when the outer row's outbound message was written or approved by an agent in the review UI."""
    return Exists(
        OutboundMessage.objects.filter(
            conversation_id=OuterRef(conversation), platform_message_ref=OuterRef(message_ref)
        )
        .exclude(platform_message_ref="")
        .filter(Q(source=Source.AGENT) | Q(approved_by__isnull=False))
    )


def _group_keys(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    platform = row[f"{prefix}account__platform__slug"]
    unit_id = row[f"{prefix}unit_id"]
    return {
        "platform": platform,
        "account": (row[f"{prefix}account_id"], f"{platform}/{row[f'{prefix}account__label']}"),
        "unit": (
            unit_id,
            f"{row[f'{prefix}unit__listing__title']} / {row[f'{prefix}unit__name']}" if unit_id else "unlinked",
        ),
    }


def human_reply_rows(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Return one row per wait of the period that a person ended, with its length and its group keys.

    One query: the messages, from ``start`` on, of every conversation a renter wrote into
    in the period, in order; a reply after ``end`` still ends a wait that began inside it.
    """
    wrote = Message.objects.filter(direction=Direction.INBOUND, sent_at__gte=start, sent_at__lt=end).values(
        "conversation_id"
    )
    messages = (
        Message.objects.filter(conversation_id__in=wrote, sent_at__gte=start)
        .annotate(by_person=_by_person(conversation="conversation_id", message_ref="platform_message_ref"))
        .values(
            "conversation_id",
            "direction",
            "sent_at",
            "sent_by_bot",
            "by_person",
            "conversation__account_id",
            "conversation__account__label",
            "conversation__account__platform__slug",
            "conversation__unit_id",
            "conversation__unit__name",
            "conversation__unit__listing__title",
        )
        .order_by("conversation_id", "sent_at", "id")
    )
    rows: list[dict[str, Any]] = []
    current, waiting_since = None, None
    for m in messages:
        if m["conversation_id"] != current:
            current, waiting_since = m["conversation_id"], None
        if m["direction"] == Direction.INBOUND:
            if waiting_since is None and m["sent_at"] < end:
                waiting_since = m["sent_at"]
            continue
        if waiting_since is None:
            continue
        if not m["sent_by_bot"] or m["by_person"]:
            seconds = max(0.0, (m["sent_at"] - waiting_since).total_seconds())
            rows.append({"seconds": seconds, **_group_keys(m, prefix="conversation__")})
        waiting_since = None
    return rows


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
            first_out_ref=Subquery(first_reply.values("platform_message_ref")[:1]),
            had_showing=Exists(
                Showing.objects.filter(conversation=OuterRef("pk")).exclude(status=ShowingStatus.CANCELLED)
            ),
            reached_application=Exists(
                Decision.objects.filter(conversation=OuterRef("pk"), workflow_outcome=WorkflowOutcome.APPLICATION)
            ),
        )
        .annotate(first_out_by_person=_by_person(conversation="pk", message_ref="first_out_ref"))
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
            "first_out_by_person",
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
        by_bot = row["first_out_bot"] and not row["first_out_by_person"]
        rows.append(
            {
                "conversation": row["pk"],
                **_group_keys(row),
                "first_reply_seconds": delay,
                "first_reply_by": None if delay is None else ("bot" if by_bot else "human"),
                "showing": bool(row["had_showing"]),
                "application": bool(row["reached_application"])
                or row["workflow_outcome"] == WorkflowOutcome.APPLICATION,
                "opted_out": bool(row["opted_out"]) or row["workflow_outcome"] == WorkflowOutcome.OPTED_OUT,
            }
        )
    return rows


def _figures(rows: list[dict[str, Any]], waits: list[dict[str, Any]]) -> dict[str, Any]:
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
        "human_reply": _spread([w["seconds"] for w in waits]),
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
    waits = human_reply_rows(start=start, end=end)
    buckets: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    wait_buckets: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    labels: dict[Any, str] = {}
    for bucket, source in ((buckets, rows), (wait_buckets, waits)):
        for row in source:
            if group_by == "platform":
                key, label = row["platform"], row["platform"]
            else:
                key, label = row[group_by]
            bucket[key].append(row)
            labels[key] = label
    groups = [
        {"key": key, "label": labels[key], **_figures(buckets[key], wait_buckets[key])}
        for key in sorted(labels, key=lambda k: (labels[k] == "unlinked", labels[k]))
    ]
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "group_by": group_by,
        "totals": _figures(rows, waits),
        "groups": groups,
        "showing_steps": showing_steps_report(since=start, until=end),
    }
