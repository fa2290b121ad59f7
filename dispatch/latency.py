"""The first-reply latency: from a renter's message on the platform to our reply, from the rows' own times.

For every inbound message the platform dated within the window, three delays:

- ``seen``: until ingest stored it (``Message.seen_at - Message.sent_at``): how late we read;
- ``drafted``: until the first outbox row answering it existed (the decision's pace);
- ``sent``: until the first of those rows was confirmed on the platform (``sent_at``).

Each is reported as p50/p95 per platform and fleet-wide, computed by PostgreSQL in one query
(``percentile_cont``). The platform's time is the start: a site that shows minutes only rounds
it down, so its delays read up to a minute long, never short; a platform clock ahead of ours
is clamped to zero. Messages no outbox row answers (a person handles them) count as ``inbound``
but in no delay; ``unanswered`` counts those older than a minute with no row at all.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, DateTimeField, DurationField, ExpressionWrapper, F, FloatField, Func, Min, Q
from django.utils import timezone

from inbox.choices import Direction, OutboundStatus
from inbox.models import Message

STAGES = ("seen", "drafted", "sent")
#: Delays (s) the histogram counts in: the product's promise is the 60 s bound.
BUCKETS: tuple[float, ...] = (5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600, 1800)


class _EpochSeconds(Func):
    """``EXTRACT(EPOCH FROM interval)``: a delay in seconds (clamped at zero by the outer query)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


@dataclasses.dataclass(frozen=True)
class StageLatency:
    """One stage's delays over the window (seconds; None when nothing was measured)."""

    count: int
    p50: float | None
    p95: float | None
    within_60s: int
    sum_s: float
    buckets: tuple[tuple[float, int], ...]


@dataclasses.dataclass(frozen=True)
class FirstReplyLatency:
    """The first-reply latency of one platform (or ``"all"``) over a window."""

    platform: str
    window_s: int
    inbound: int
    unanswered: int
    stages: dict[str, StageLatency]

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "window_s": self.window_s,
            "inbound": self.inbound,
            "unanswered": self.unanswered,
            **{
                f"{stage}_{k}": getattr(figures, k)
                for stage, figures in self.stages.items()
                for k in ("count", "p50", "p95", "within_60s")
            },
        }


def _per_message(since: datetime, until: datetime) -> tuple[str, list[Any]]:
    """The SQL of one row per inbound message in the window: its platform and its three delays."""
    first_draft = Min("replies__created_at")
    first_sent = Min("replies__sent_at", filter=Q(replies__status=OutboundStatus.SENT))
    rows = (
        Message.objects.filter(direction=Direction.INBOUND, sent_at__gte=since, sent_at__lt=until)
        .order_by()
        .values("pk")
        .annotate(
            platform=F("conversation__account__platform__slug"),
            seen_s=_EpochSeconds(ExpressionWrapper(F("seen_at") - F("sent_at"), output_field=DurationField())),
            drafted_s=_EpochSeconds(ExpressionWrapper(first_draft - F("sent_at"), output_field=DurationField())),
            sent_s=_EpochSeconds(ExpressionWrapper(first_sent - F("sent_at"), output_field=DurationField())),
            first_draft=ExpressionWrapper(first_draft, output_field=DateTimeField()),
            old=ExpressionWrapper(Q(sent_at__lt=until - timedelta(seconds=60)), output_field=BooleanField()),
        )
        .values("platform", "seen_s", "drafted_s", "sent_s", "first_draft", "old")
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def first_reply_latency(*, window_s: int | None = None, now: datetime | None = None) -> list[FirstReplyLatency]:
    """Return the first-reply latency per platform and fleet-wide (``"all"``, first), one query.

    The window covers the renter messages the platforms dated within the last ``window_s``
    (``LEASEBOT_FIRST_REPLY_WINDOW_S``) seconds.
    """
    window = int(window_s if window_s is not None else settings.LEASEBOT_FIRST_REPLY_WINDOW_S)
    until = now or timezone.now()
    inner, params = _per_message(until - timedelta(seconds=window), until)
    # CASE, not GREATEST: PostgreSQL's GREATEST(0, NULL) is 0, and a missing reply is no delay.
    clamped = ", ".join(f"CASE WHEN {s}_s < 0 THEN 0 ELSE {s}_s END AS {s}_s" for s in STAGES)
    figures = []
    for stage in STAGES:
        col = f"{stage}_s"
        figures += [
            f"count({col})",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {col})",
            f"percentile_cont(0.95) WITHIN GROUP (ORDER BY {col})",
            f"count(*) FILTER (WHERE {col} <= 60)",
            f"COALESCE(sum({col}), 0)",
            *[f"count(*) FILTER (WHERE {col} <= {bound})" for bound in BUCKETS],
        ]
    sql = (
        f"SELECT COALESCE(platform, 'all'), count(*), "  # noqa: S608 - only our own column names are interpolated.
        f"count(*) FILTER (WHERE first_draft IS NULL AND old), {', '.join(figures)} "
        f"FROM (SELECT platform, first_draft, old, {clamped} FROM ({inner}) AS raw) AS per_message "
        "GROUP BY ROLLUP (platform)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    width = 5 + len(BUCKETS)
    for row in rows:
        stages = {}
        for i, stage in enumerate(STAGES):
            part = row[3 + i * width : 3 + (i + 1) * width]
            stages[stage] = StageLatency(
                count=int(part[0]),
                p50=round(float(part[1]), 1) if part[1] is not None else None,
                p95=round(float(part[2]), 1) if part[2] is not None else None,
                within_60s=int(part[3]),
                sum_s=float(part[4]),
                buckets=tuple(zip(BUCKETS, (int(n) for n in part[5:]), strict=True)),
            )
        out.append(FirstReplyLatency(str(row[0]), window, int(row[1]), int(row[2]), stages))
    out.sort(key=lambda f: (f.platform != "all", f.platform))
    return out
