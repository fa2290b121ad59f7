"""Query parameters of the observability and report endpoints, validated (400 with a reason)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from rollout.reports import GROUPS

MAX_WINDOW_DAYS = 366
# The dates a window may name: wide enough for any real question, narrow enough that adding a
# day or a window's length never leaves the calendar (``until=9999-12-31`` used to be a 500).
EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)


def _as_aware(value: datetime | date, *, end_of_day: bool = False) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.get_current_timezone())
    moment = datetime.combine(value + timedelta(days=1) if end_of_day else value, time.min)
    return timezone.make_aware(moment, timezone.get_current_timezone())


class _FlexibleDateTime(serializers.Field):
    """Accept an ISO 8601 date (a whole day) or date-time (naive ones are read as UTC)."""

    default_error_messages = {
        "invalid": "use an ISO 8601 date (2025-01-31) or date-time (2025-01-31T12:00:00Z)",
        "out_of_range": f"use a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
    }

    def to_internal_value(self, data: Any) -> datetime | date:
        text = str(data).strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail("invalid")
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST <= day <= LATEST:
            self.fail("out_of_range")
        return value

    def to_representation(self, value: Any) -> str:
        return value.isoformat()


class WindowParams(serializers.Serializer):
    """``since``/``until`` (dates or date-times), or ``hours`` back from now (default 24)."""

    since = _FlexibleDateTime(required=False)
    until = _FlexibleDateTime(required=False)
    hours = serializers.IntegerField(required=False, min_value=1, max_value=MAX_WINDOW_DAYS * 24)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "hours" in attrs and ("since" in attrs or "until" in attrs):
            raise serializers.ValidationError("give either hours, or since/until, not both")
        now = timezone.now()
        end = _as_aware(attrs["until"], end_of_day=True) if "until" in attrs else now
        if "since" in attrs:
            start = _as_aware(attrs["since"])
        else:
            start = end - timedelta(hours=attrs.get("hours", self.default_hours))
        if start >= end:
            raise serializers.ValidationError("since must be before until")
        if end - start > timedelta(days=MAX_WINDOW_DAYS):
            raise serializers.ValidationError(f"the window may span at most {MAX_WINDOW_DAYS} days")
        return {"start": start, "end": end}

    default_hours = 24


class ReportParams(WindowParams):
    """The report's period (default: the last 30 days) and its grouping."""

    group_by = serializers.ChoiceField(choices=GROUPS, required=False, default="platform")
    default_hours = 30 * 24

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        group_by = attrs.pop("group_by", "platform")
        return {**super().validate(attrs), "group_by": group_by}
