"""Showing slots: the times a renter can really be shown a unit.

A slot is the intersection of (1) the unit's showing windows, (2) an agent assigned to the
unit, (3) that agent's own availability, minus blocks, the agent's existing showings (with
buffers) and the past. Windows are wall-clock times in their owner's time zone (the unit's,
or the agent's profile zone), turned into absolute instants per date, so a weekly 10:00
window stays 10:00 across daylight-saving changes and a window crossing the spring-forward
gap simply loses the hour that does not exist.

Dated windows replace the weekly windows of their date (an override); blocks remove time.
Each slot records where it came from (the unit rule, the agent rule, the assignment).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from inbox.choices import AvailabilityKind, ShowingStatus
from inbox.models import AgentProfile, AvailabilityRule, Showing, Unit, UnitAssignment

#: Earliest a slot may start, from now: a renter cannot be shown a unit in ten minutes.
#: Slot starts are aligned to this grid in the unit's local time.
GRID_MINUTES = 15

Interval = tuple[dt.datetime, dt.datetime, dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Slot:
    """One bookable showing time, with its origin."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    unit_id: int
    agent_id: int
    timezone: str
    source: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)
    group: bool = False

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(zoneinfo.ZoneInfo(self.timezone))

    @property
    def label(self) -> str:
        """Return the slot as a renter reads it, in the unit's time zone: 'Tue Mar 10, 10:00 AM'."""
        local = self.local_start
        hour = local.hour % 12 or 12
        return f"{local:%a %b} {local.day}, {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form stored on decisions and passed back to ``showing_book``."""
        return {
            "starts_at": self.starts_at.astimezone(dt.UTC).isoformat(),
            "ends_at": self.ends_at.astimezone(dt.UTC).isoformat(),
            "local_start": self.local_start.isoformat(),
            "label": self.label,
            "unit_id": self.unit_id,
            "agent_id": self.agent_id,
            "timezone": self.timezone,
            "group": self.group,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Slot:
        """Return a slot from its JSON form (raises KeyError or ValueError when malformed)."""
        starts = dt.datetime.fromisoformat(data["starts_at"])
        ends = dt.datetime.fromisoformat(data["ends_at"])
        if starts.tzinfo is None or ends.tzinfo is None:
            raise ValueError("slot times must be timezone-aware")
        return cls(
            starts_at=starts,
            ends_at=ends,
            unit_id=int(data["unit_id"]),
            agent_id=int(data["agent_id"]),
            timezone=str(data.get("timezone") or "UTC"),
            source=dict(data.get("source") or {}),
            group=bool(data.get("group", False)),
        )


def _aware(day: dt.date, time: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    # Normalise through UTC so a wall time in the spring-forward gap maps to a real instant.
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def owner_intervals(
    rules: Sequence[AvailabilityRule], tz: zoneinfo.ZoneInfo, days: Iterable[dt.date], role: str
) -> list[Interval]:
    """Return an owner's open intervals (absolute, UTC) on the given local dates, blocks removed."""
    weekly: dict[int, list[AvailabilityRule]] = defaultdict(list)
    dated: dict[dt.date, list[AvailabilityRule]] = defaultdict(list)
    blocks: dict[dt.date, list[AvailabilityRule]] = defaultdict(list)
    for rule in rules:
        if rule.kind == AvailabilityKind.WEEKLY and rule.weekday is not None:
            weekly[rule.weekday].append(rule)
        elif rule.kind == AvailabilityKind.OVERRIDE and rule.date is not None:
            dated[rule.date].append(rule)
        elif rule.kind == AvailabilityKind.BLOCK and rule.date is not None:
            blocks[rule.date].append(rule)
    out: list[Interval] = []
    for day in days:
        windows = dated.get(day) or weekly.get(day.weekday(), [])
        intervals: list[Interval] = [
            (
                _aware(day, w.start_time, tz),
                _aware(day, w.end_time, tz),
                {f"{role}_window": {"rule_id": w.pk, "kind": w.kind}},
            )
            for w in windows
        ]
        for block in blocks.get(day, []):
            intervals = subtract(intervals, [(_aware(day, block.start_time, tz), _aware(day, block.end_time, tz))])
        out.extend(i for i in intervals if i[1] > i[0])
    return out


def subtract(intervals: list[Interval], busy: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[Interval]:
    """Return ``intervals`` with every busy range cut out."""
    result = intervals
    for b_start, b_end in busy:
        nxt: list[Interval] = []
        for start, end, meta in result:
            if b_end <= start or b_start >= end:
                nxt.append((start, end, meta))
                continue
            if b_start > start:
                nxt.append((start, b_start, meta))
            if b_end < end:
                nxt.append((b_end, end, meta))
        result = nxt
    return result


def intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    """Return the overlaps of two interval lists, merging their sources."""
    out: list[Interval] = []
    for l_start, l_end, l_meta in left:
        for r_start, r_end, r_meta in right:
            start, end = max(l_start, r_start), min(l_end, r_end)
            if end > start:
                out.append((start, end, {**l_meta, **r_meta}))
    return out


def _grid_start(moment: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    local = moment.astimezone(tz)
    extra = (local.minute % GRID_MINUTES) * 60 + local.second + local.microsecond / 1e6
    if extra:
        moment = moment + dt.timedelta(seconds=GRID_MINUTES * 60 - extra)
    return moment


def candidate_slots(
    unit: Unit, *, start: dt.datetime, end: dt.datetime, now: dt.datetime, agent_ids: set[int] | None = None
) -> list[Slot]:
    """Return every free slot of ``unit`` starting in [start, end), for all (or some) assigned agents."""
    unit_tz = zoneinfo.ZoneInfo(unit.timezone)
    first_day = start.astimezone(unit_tz).date() - dt.timedelta(days=1)
    last_day = end.astimezone(unit_tz).date() + dt.timedelta(days=1)
    local_days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    assignments = list(UnitAssignment.objects.filter(unit=unit).order_by("-is_primary", "agent_id"))
    if agent_ids is not None:
        assignments = [a for a in assignments if a.agent_id in agent_ids]
    if not assignments:
        return []
    agents = [a.agent_id for a in assignments]
    rules = list(AvailabilityRule.objects.filter(unit=unit)) + list(
        AvailabilityRule.objects.filter(agent_id__in=agents)
    )
    zones = dict(AgentProfile.objects.filter(user_id__in=agents).values_list("user_id", "timezone"))
    duration = dt.timedelta(minutes=unit.showing_duration_minutes)
    buffer = dt.timedelta(minutes=unit.showing_buffer_minutes)
    step = dt.timedelta(minutes=-(-unit.showing_duration_minutes // GRID_MINUTES) * GRID_MINUTES)
    showings = list(
        Showing.objects.filter(
            agent_id__in=agents,
            status=ShowingStatus.BOOKED,
            starts_at__lt=end + duration + dt.timedelta(hours=6),
            ends_at__gt=start - dt.timedelta(hours=6),
        ).values("agent_id", "unit_id", "starts_at", "ends_at", "unit__showing_buffer_minutes")
    )
    unit_open = owner_intervals([r for r in rules if r.unit_id == unit.pk], unit_tz, local_days, "unit")
    earliest = max(start, now + dt.timedelta(minutes=settings.LEASEBOT_SHOWING_MIN_NOTICE_MINUTES))
    slots: list[Slot] = []
    for assignment in assignments:
        agent_tz = zoneinfo.ZoneInfo(zones.get(assignment.agent_id) or unit.timezone)
        agent_rules = [r for r in rules if r.agent_id == assignment.agent_id]
        open_ = intersect(unit_open, owner_intervals(agent_rules, agent_tz, local_days, "agent"))
        busy = [s for s in showings if s["agent_id"] == assignment.agent_id]
        for i_start, i_end, meta in open_:
            moment = _grid_start(max(i_start, earliest), unit_tz)
            while moment + duration <= i_end and moment < end:
                slot_end = moment + duration
                group, clash = False, False
                for other in busy:
                    gap = max(buffer, dt.timedelta(minutes=other["unit__showing_buffer_minutes"]))
                    if other["starts_at"] < slot_end + gap and other["ends_at"] > moment - gap:
                        same = (
                            other["unit_id"] == unit.pk
                            and other["starts_at"] == moment
                            and other["ends_at"] == slot_end
                        )
                        if same:
                            group = True
                        else:
                            clash = True
                            break
                if group and not clash:
                    taken = sum(
                        1
                        for s in busy
                        if s["unit_id"] == unit.pk and s["starts_at"] == moment and s["ends_at"] == slot_end
                    )
                    clash = taken >= unit.showing_group_size
                if not clash:
                    source = {
                        **meta,
                        "assignment": {"id": assignment.pk, "is_primary": assignment.is_primary},
                        "agent_id": assignment.agent_id,
                        "agent_timezone": str(agent_tz),
                        "group": group,
                    }
                    slots.append(Slot(moment, slot_end, unit.pk, assignment.agent_id, unit.timezone, source, group))
                moment += step
    return slots


def find_slots(unit: Unit, *, now: dt.datetime | None = None, days: int = 7, limit: int = 5) -> list[Slot]:
    """Return up to ``limit`` free showing slots in the next ``days`` days, spread over the days.

    When two agents are free at the same time, one slot is offered: a group showing already
    booked at that time, else the primary agent's, else the lowest agent id. Slots are spread round-robin over days
    so a renter sees a choice of days, then returned in time order.
    """
    now = now or timezone.now()
    unit_tz = zoneinfo.ZoneInfo(unit.timezone)
    today = now.astimezone(unit_tz).date()
    horizon = _aware(today + dt.timedelta(days=days), dt.time(0), unit_tz)
    candidates = candidate_slots(unit, start=now, end=horizon, now=now)

    def rank(s: Slot) -> tuple[bool, bool, int]:
        # A group showing already booked first (one trip for the agent), then the primary agent.
        return (not s.group, not s.source.get("assignment", {}).get("is_primary"), s.agent_id)

    best: dict[dt.datetime, Slot] = {}
    for slot in candidates:
        current = best.get(slot.starts_at)
        if current is None or rank(slot) < rank(current):
            best[slot.starts_at] = slot
    by_day: dict[dt.date, list[Slot]] = defaultdict(list)
    for start in sorted(best):
        by_day[best[start].local_start.date()].append(best[start])
    chosen: list[Slot] = []
    queues = [by_day[day] for day in sorted(by_day)]
    while len(chosen) < limit and any(queues):
        for position, queue in enumerate(queues):
            if queue and len(chosen) < limit:
                # Alternate mornings and afternoons across days: a choice of times, not five 10:00s.
                chosen.append(queue.pop(0 if position % 2 == 0 else len(queue) // 2))
    return sorted(chosen, key=lambda s: s.starts_at)


def slot_is_open(slot: Slot, *, unit: Unit, now: dt.datetime | None = None) -> bool:
    """Tell whether a previously offered slot is still free for its agent (checked again at booking)."""
    now = now or timezone.now()
    candidates = candidate_slots(
        unit, start=slot.starts_at, end=slot.starts_at + dt.timedelta(seconds=1), now=now, agent_ids={slot.agent_id}
    )
    return any(c.starts_at == slot.starts_at and c.ends_at == slot.ends_at for c in candidates)


def slot_at(unit: Unit, *, starts_at: dt.datetime, agent_id: int, now: dt.datetime | None = None) -> Slot | None:
    """Return the free slot of ``unit`` with ``agent_id`` that starts at ``starts_at`` now, or None."""
    now = now or timezone.now()
    candidates = candidate_slots(
        unit, start=starts_at, end=starts_at + dt.timedelta(seconds=1), now=now, agent_ids={agent_id}
    )
    return next((c for c in candidates if c.starts_at == starts_at), None)
