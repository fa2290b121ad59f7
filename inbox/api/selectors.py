"""Reads of the review desk: scoped conversations, the review queue, the counts and timings.

Every read starts from what the caller may see (``scope_to_accounts``): an agent's
queries never touch another account's rows, so a foreign id simply is not found.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import Count, Exists, Func, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Contains
from django.utils import timezone

from inbox import holds
from inbox.choices import ConversationStatus, Direction, OutboundStatus, ReasonCode, Source
from inbox.models import (
    AgentProfile,
    CannedReply,
    Conversation,
    Folded,
    Listing,
    Message,
    OutboundMessage,
    Unit,
    UnitAssignment,
)
from inbox.selectors import conversation_version, outbound_version
from inbox.slots import find_slots
from leasebot.core.models import AuditLog
from platforms.api.permissions import scope_to_accounts
from platforms.models import PlatformAccount
from platforms.roles import user_role

WAITING_STATUSES = (OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW)
QUEUE_LIMIT = 300
PREVIEW_CHARS = 280

KIND_GUARDRAIL = "guardrail_hold"
KIND_DRAFT = "draft"
KIND_ESCALATION = "escalation"
KIND_DEAD_LETTER = "dead_letter"
KIND_ORDER = (KIND_GUARDRAIL, KIND_DRAFT, KIND_ESCALATION, KIND_DEAD_LETTER)


def _primary_agent_subquery() -> Subquery:
    return Subquery(
        UnitAssignment.objects.filter(unit_id=OuterRef("unit_id"))
        .order_by("-is_primary", "id")
        .values("agent__username")[:1]
    )


def awake_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Conversations an agent should see at work now: open, or snoozed until a time that has passed."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": ConversationStatus.OPEN}) | Q(
        **{f"{prefix}status": ConversationStatus.SNOOZED, f"{prefix}snoozed_until__lte": now}
    )


def asleep_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Conversations hidden from work now: resolved, or snoozed until a time still to come."""
    return ~awake_q(now, prefix)


UNIT_NONE = "none"
#: Joins a conversation's own searched fields into one text, so it is folded once (the unit separator).
_FIELD_SEPARATOR = "\x1f"


def conversations_for_user(user: AbstractUser) -> QuerySet[Conversation]:
    """Return the conversations of the accounts the user may see, with what lists show."""
    last_inbound = Message.objects.filter(conversation_id=OuterRef("pk"), direction="in").order_by("-sent_at", "-id")
    waiting = (
        OutboundMessage.objects.filter(conversation_id=OuterRef("pk"), status__in=WAITING_STATUSES)
        .order_by()
        .values("conversation_id")
        .annotate(n=Count("pk"))
    )
    qs = (
        Conversation.objects.select_related("account__platform", "unit__listing", "assigned_agent", "taken_over_by")
        .annotate(
            last_inbound_body=Subquery(last_inbound.values("body")[:1]),
            # A correlated count, not Count(): no GROUP BY, so the list's count() can drop it.
            waiting_outbound=Coalesce(Subquery(waiting.values("n")[:1]), 0),
            default_agent=_primary_agent_subquery(),
        )
        .order_by("-last_inbound_at", "-id")
    )
    return scope_to_accounts(qs, user)


def conversation_filter(
    qs: QuerySet[Conversation],
    *,
    user: AbstractUser,
    platform: str = "",
    account: int | None = None,
    statuses: list[str] | None = None,
    human_required: bool | None = None,
    taken_over: bool | None = None,
    mine: bool = False,
    unassigned: bool = False,
    waiting_on_renter: bool | None = None,
    search: str = "",
    conversation_status: str = "",
    unit: int | str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> QuerySet[Conversation]:
    """Apply the list filters.

    ``mine`` means assigned to the caller, or by default to the unit's primary agent;
    ``unassigned`` means nobody: no agent assigned and no agent on the unit either.
    ``waiting_on_renter`` means the ball is in the renter's court: our side wrote last (the
    bot or a person, on the platform or from here) and nothing waits for a person, no hold
    and no draft; the renter's next message moves the conversation out of it.
    ``conversation_status`` reads the status as agents see it now (a snooze that ran out is
    open); ``unit`` is a unit id or ``"none"`` (not linked to any); ``reason`` a hold reason
    code, matched in the conversation's escalation reasons or its replies waiting for review.
    """
    if conversation_status == ConversationStatus.OPEN:
        qs = qs.filter(awake_q(now))
    elif conversation_status == ConversationStatus.SNOOZED:
        qs = qs.filter(status=ConversationStatus.SNOOZED, snoozed_until__gt=now or timezone.now())
    elif conversation_status == ConversationStatus.RESOLVED:
        qs = qs.filter(status=ConversationStatus.RESOLVED)
    if unit == UNIT_NONE:
        qs = qs.filter(unit__isnull=True)
    elif unit is not None:
        qs = qs.filter(unit_id=unit)
    if reason:
        held = OutboundMessage.objects.filter(
            conversation_id=OuterRef("pk"), status__in=WAITING_STATUSES, hold_reasons__contains=[{"code": reason}]
        )
        qs = qs.filter(Q(human_reasons__contains=[{"code": reason}]) | Exists(held))
    if platform:
        qs = qs.filter(account__platform__slug=platform)
    if account is not None:
        qs = qs.filter(account_id=account)
    if statuses:
        qs = qs.filter(workflow_outcome__in=statuses)
    if human_required is not None:
        qs = qs.filter(human_required=human_required)
    if taken_over is not None:
        qs = qs.filter(taken_over_by__isnull=not taken_over)
    if mine:
        primary = UnitAssignment.objects.filter(unit_id=OuterRef("unit_id"), agent_id=user.pk, is_primary=True)
        qs = qs.filter(Q(assigned_agent_id=user.pk) | Q(assigned_agent__isnull=True) & Exists(primary))
    if unassigned:
        anyone = UnitAssignment.objects.filter(unit_id=OuterRef("unit_id"))
        qs = qs.filter(Q(assigned_agent__isnull=True) & ~Exists(anyone))
    if waiting_on_renter is not None:
        ours = Message.objects.filter(conversation_id=OuterRef("pk"), direction=Direction.OUTBOUND)
        for_a_person = OutboundMessage.objects.filter(conversation_id=OuterRef("pk"), status__in=WAITING_STATUSES)
        ours_last = Exists(ours.filter(sent_at__gte=OuterRef("last_inbound_at"))) | Q(
            last_inbound_at__isnull=True
        ) & Exists(ours)
        waiting = Q(human_required=False) & ours_last & ~Exists(for_a_person)
        qs = qs.filter(waiting) if waiting_on_renter else qs.exclude(waiting)
    if search:
        # Any case and any accent, on both sides ("jose" finds "José", "BAÑO" finds "bano"); the
        # term's LIKE wildcards are escaped, and the message text's trigram index holds inbox_fold(body).
        # Folding costs a function call per value, so each value is folded once: the conversation's
        # own three fields together (joined by a control character nobody types), units and
        # listings in their own small tables.
        term = Folded(Value(search))
        own = Func(
            Value(_FIELD_SEPARATOR),
            "renter_name",
            "renter_handle",
            "thread_ref",
            function="concat_ws",
            output_field=TextField(),
        )
        in_messages = Message.objects.filter(Contains(Folded("body"), term), conversation_id=OuterRef("pk"))
        units = Unit.objects.filter(Contains(Folded("name"), term)).values("pk")
        listings = Listing.objects.filter(Contains(Folded("title"), term)).values("pk")
        qs = qs.filter(
            Q(Contains(Folded(own), term)) | Q(unit_id__in=units) | Q(listing_id__in=listings) | Exists(in_messages)
        )
    return qs


def conversation_detail(*, user: AbstractUser, conversation_id: int) -> Conversation:
    """Return one conversation in the user's scope with everything its page shows (raises DoesNotExist)."""
    conversation = conversations_for_user(user).select_related("follow_ups_paused_by").get(pk=conversation_id)
    conversation.thread = list(conversation.messages.order_by("sent_at", "id"))  # type: ignore[attr-defined]
    conversation.recent_decisions = list(conversation.decisions.order_by("-created_at", "-id")[:5])  # type: ignore[attr-defined]
    conversation.showing_rows = list(conversation.showings.select_related("agent").order_by("starts_at"))  # type: ignore[attr-defined]
    conversation.outbound_rows = list(  # type: ignore[attr-defined]
        conversation.outbound.select_related("account__platform", "approved_by", "created_by").order_by(
            "created_at", "id"
        )
    )
    conversation.note_rows = list(conversation.notes.select_related("author").order_by("created_at", "id"))  # type: ignore[attr-defined]
    conversation.other_threads = other_threads(user=user, conversation=conversation)  # type: ignore[attr-defined]
    conversation.history = list(  # type: ignore[attr-defined]
        AuditLog.objects.filter(object_type=Conversation._meta.label_lower, object_id=str(conversation.pk)).order_by(
            "-created_at", "-id"
        )[:HISTORY_LIMIT]
    )
    return conversation


HISTORY_LIMIT = 50
OTHER_THREADS_LIMIT = 20


def other_threads(*, user: AbstractUser, conversation: Conversation) -> list[Conversation]:
    """Return the same renter's other conversations on this platform that the user may see, newest first.

    The renter is known by their handle on the platform (never by name alone: two renters
    may share a name); without a handle there is nothing to match.
    """
    if not conversation.renter_handle:
        return []
    qs = scope_to_accounts(
        Conversation.objects.filter(
            account__platform_id=conversation.account.platform_id, renter_handle=conversation.renter_handle
        )
        .exclude(pk=conversation.pk)
        .select_related("account", "unit__listing")
        .order_by("-last_inbound_at", "-id"),
        user,
    )
    return list(qs[:OTHER_THREADS_LIMIT])


#: How far ahead, and how many, free times the lead panel offers to book.
SLOT_OPTION_DAYS = 14
SLOT_OPTION_LIMIT = 12


def slot_options(conversation: Conversation, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return the times the conversation's renter can be shown its unit now, each with its agent's name.

    Empty without a linked unit. A time the bot offered in its latest offer is marked ``offered``
    (the renter may be answering it). The query count does not grow with the number of slots.
    """
    if conversation.unit is None:
        return []
    now = now or timezone.now()
    slots = find_slots(conversation.unit, now=now, days=SLOT_OPTION_DAYS, limit=SLOT_OPTION_LIMIT)
    offer = (
        conversation.decisions.exclude(offered_slots=[])
        .order_by("-created_at", "-id")
        .values_list("offered_slots", flat=True)
        .first()
        or []
    )
    offered = {(o.get("starts_at"), o.get("agent_id")) for o in offer if isinstance(o, dict)}
    names = dict(get_user_model().objects.filter(pk__in={s.agent_id for s in slots}).values_list("pk", "username"))
    return [
        {
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "slot_label": slot.label,
            "timezone": slot.timezone,
            "agent": slot.agent_id,
            "agent_name": names.get(slot.agent_id, ""),
            "group": slot.group,
            "offered": (slot.to_dict()["starts_at"], slot.agent_id) in offered,
        }
        for slot in slots
    ]


def active_units() -> QuerySet[Unit]:
    """Return the units of active listings, by listing and name (one query)."""
    return Unit.objects.filter(listing__is_active=True).select_related("listing").order_by("listing__title", "name")


def unit_options(conversation: Conversation) -> list[Unit]:
    """Return the units a conversation can be linked to: active listings' units, its own listing's first."""
    units = active_units()
    first = conversation.listing_id or 0
    return sorted(units, key=lambda u: (u.listing_id != first, u.listing.title, u.name))


def assignee_label(conversation: Conversation, default_agent: str | None = None) -> str:
    """Say who holds a conversation: who took it over, who it is assigned to, or the unit's agent."""
    if conversation.taken_over_by_id is not None and conversation.taken_over_by is not None:
        return f"taken over by {conversation.taken_over_by.get_username()}"
    if conversation.assigned_agent_id is not None and conversation.assigned_agent is not None:
        return f"assigned to {conversation.assigned_agent.get_username()}"
    if default_agent:
        return f"the unit's agent, {default_agent}"
    return ""


def _scoped_filters(qs: QuerySet[Any], *, platform: str, account: int | None, platform_field: str) -> QuerySet[Any]:
    if platform:
        qs = qs.filter(**{platform_field: platform})
    if account is not None:
        qs = qs.filter(account_id=account)
    return qs


def queue_item(
    *,
    kind: str,
    key: str,
    account: PlatformAccount | None,
    reasons: list[str],
    status: str,
    waiting_since: datetime,
    conversation: int | None = None,
    outbound: int | None = None,
    dead_letter: int | None = None,
    platform: str = "",
    renter_name: str = "",
    preview: str = "",
    unit: Unit | None = None,
    reason_codes: list[str] | None = None,
    version: str = "",
    last_message: str = "",
    assignee: str = "",
) -> dict[str, Any]:
    """One row of the review queue, the same shape for every kind (QueueItemSerializer)."""
    if kind not in KIND_ORDER:
        raise ValueError(f"unknown queue kind {kind!r}")
    return {
        "kind": kind,
        "key": key,
        "conversation": conversation,
        "outbound": outbound,
        "dead_letter": dead_letter,
        "platform": platform or (account.platform.slug if account is not None else ""),
        "account": account.pk if account is not None else None,
        "account_label": account.label if account is not None else "",
        "renter_name": renter_name,
        "preview": preview[:PREVIEW_CHARS],
        "reasons": reasons,
        "reason_codes": reason_codes or [],
        "unit": unit.pk if unit is not None else None,
        "unit_name": str(unit) if unit is not None else "",
        "status": status,
        "waiting_since": waiting_since,
        "version": version,
        "last_message": last_message[:PREVIEW_CHARS],
        "assignee": assignee,
    }


def review_queue(
    *,
    user: AbstractUser,
    platform: str = "",
    account: int | None = None,
    unit: int | str | None = None,
    reason: str = "",
    limit: int = QUEUE_LIMIT,
) -> dict[str, Any]:
    """Return the inbox's part of what waits for a human, most urgent kind first, with counts.

    Guardrail holds, then drafts (and other held replies), then escalated conversations
    without a waiting reply; two queries, whatever the size. A conversation resolved or
    snoozed (until a time still to come) shows no escalation. ``unit`` is a unit id or
    ``"none"``; ``reason`` a hold reason code. The worker layer adds its dead letters with
    :func:`queue_merge` (dispatch owns them).
    """
    now = timezone.now()
    waiting = _scoped_filters(
        scope_to_accounts(OutboundMessage.objects.filter(status__in=WAITING_STATUSES), user),
        platform=platform,
        account=account,
        platform_field="account__platform__slug",
    )
    escalated = _scoped_filters(
        conversations_for_user(user).filter(human_required=True).filter(awake_q(now)),
        platform=platform,
        account=account,
        platform_field="account__platform__slug",
    )
    if unit == UNIT_NONE:
        waiting, escalated = waiting.filter(conversation__unit__isnull=True), escalated.filter(unit__isnull=True)
    elif unit is not None:
        waiting, escalated = waiting.filter(conversation__unit_id=unit), escalated.filter(unit_id=unit)
    if reason:
        waiting = waiting.filter(hold_reasons__contains=[{"code": reason}])
        escalated = escalated.filter(human_reasons__contains=[{"code": reason}])
    last_inbound = Message.objects.filter(conversation_id=OuterRef("conversation_id"), direction="in").order_by(
        "-sent_at", "-id"
    )
    default_agent = Subquery(
        UnitAssignment.objects.filter(unit_id=OuterRef("conversation__unit_id"))
        .order_by("-is_primary", "id")
        .values("agent__username")[:1]
    )
    waiting = (
        waiting.select_related(
            "account__platform",
            "conversation__unit__listing",
            "conversation__assigned_agent",
            "conversation__taken_over_by",
        )
        .annotate(last_inbound_body=Subquery(last_inbound.values("body")[:1]), default_agent=default_agent)
        .order_by("created_at", "id")
    )
    items: list[dict[str, Any]] = []
    counts = dict.fromkeys(KIND_ORDER, 0)
    waiting_conversations: set[int] = set()
    for row in waiting[: limit * 2]:
        reasons = holds.load(row.hold_reasons)
        guardrail = any(r.code == ReasonCode.GUARDRAIL for r in reasons)
        kind = KIND_GUARDRAIL if guardrail else KIND_DRAFT
        counts[kind] += 1
        waiting_conversations.add(row.conversation_id)
        items.append(
            queue_item(
                kind=kind,
                key=f"outbound-{row.pk}",
                conversation=row.conversation_id,
                outbound=row.pk,
                account=row.account,
                renter_name=row.conversation.renter_name,
                preview=row.body,
                unit=row.conversation.unit,
                reasons=[r.label for r in reasons],
                reason_codes=[str(r.code) for r in reasons],
                status=row.status,
                waiting_since=row.created_at,
                version=outbound_version(row),
                last_message=row.last_inbound_body or "",
                assignee=assignee_label(row.conversation, row.default_agent),
            )
        )
    for conv in escalated.order_by("human_required_since", "id")[: limit * 2]:
        if conv.pk in waiting_conversations:
            continue
        counts[KIND_ESCALATION] += 1
        items.append(
            queue_item(
                kind=KIND_ESCALATION,
                key=f"conversation-{conv.pk}",
                conversation=conv.pk,
                account=conv.account,
                renter_name=conv.renter_name,
                preview=conv.last_inbound_body or "",
                unit=conv.unit,
                reasons=[r.label for r in holds.load(conv.human_reasons)] or ["escalated"],
                reason_codes=[str(r.code) for r in holds.load(conv.human_reasons)],
                status="human_required",
                waiting_since=conv.human_required_since or conv.updated_at,
                version=conversation_version(conv),
                last_message=conv.last_inbound_body or "",
                assignee=assignee_label(conv, conv.default_agent),
            )
        )
    return _ordered(items, counts, limit)


def _reason_counts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Count the queue's items per hold reason code, most frequent first, with the reason in words."""
    counted: dict[str, dict[str, Any]] = {}
    for item in items:
        for code in dict.fromkeys(item["reason_codes"]):
            entry = counted.setdefault(code, {"code": code, "text": _reason_label(code), "count": 0})
            entry["count"] += 1
    return sorted(counted.values(), key=lambda e: (-e["count"], e["text"]))


def _reason_label(code: str) -> str:
    try:
        return str(ReasonCode(code).label)
    except ValueError:
        return code.replace("_", " ")


def _ordered(items: list[dict[str, Any]], counts: dict[str, int], limit: int) -> dict[str, Any]:
    items.sort(key=lambda item: (KIND_ORDER.index(item["kind"]), item["waiting_since"]))
    counts_out = {**{k: v for k, v in counts.items() if k != "total"}}
    return {
        "counts": {**counts_out, "total": sum(counts_out.values())},
        "reason_counts": _reason_counts(items),
        "items": items[:limit],
    }


def queue_merge(queue: dict[str, Any], items: list[dict[str, Any]], *, limit: int = QUEUE_LIMIT) -> dict[str, Any]:
    """Add another layer's queue items (each with a ``kind`` of KIND_ORDER) to an inbox queue."""
    counts = dict(queue["counts"])
    for item in items:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    return _ordered([*queue["items"], *items], counts, limit)


def review_counts(*, user: AbstractUser) -> dict[str, Any]:
    """Return the badge figures of the inbox: what needs a human in scope, what is the caller's, hold-to-answer times."""
    waiting = scope_to_accounts(OutboundMessage.objects.filter(status__in=WAITING_STATUSES), user)
    escalated = scope_to_accounts(Conversation.objects.filter(human_required=True).filter(awake_q()), user)
    mine_q = Q(conversation__assigned_agent_id=user.pk) | Q(
        conversation__assigned_agent__isnull=True,
        conversation__unit__assignments__agent_id=user.pk,
        conversation__unit__assignments__is_primary=True,
    )
    waiting_total = waiting.count()
    waiting_mine = waiting.filter(mine_q).values("pk").distinct().count()
    escalated_total = escalated.exclude(outbound__status__in=WAITING_STATUSES).values("pk").distinct().count()
    return {
        "needs_human": waiting_total + escalated_total,
        "waiting_replies": waiting_total,
        "escalations": escalated_total,
        "dead_letters": 0,  # The worker layer adds its own (dispatch.api).
        "mine": waiting_mine,
        "hold_to_answer": hold_to_answer_stats(user=user),
    }


def hold_to_answer_stats(*, user: AbstractUser, days: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """Return how long held bot replies waited for a person's approval over the last ``days`` days."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = scope_to_accounts(
        OutboundMessage.objects.filter(source=Source.BOT, approved_at__isnull=False, approved_at__gte=since), user
    ).values_list("created_at", "approved_at")[:5000]
    waits = sorted(max(0.0, (approved - created).total_seconds()) for created, approved in rows)
    if not waits:
        return {"days": days, "count": 0, "median_seconds": None, "p90_seconds": None}
    p90 = waits[min(len(waits) - 1, round(0.9 * (len(waits) - 1)))]
    return {"days": days, "count": len(waits), "median_seconds": int(statistics.median(waits)), "p90_seconds": int(p90)}


def canned_replies_for_user(
    user: AbstractUser, *, account: int | None = None, include_inactive: bool = False
) -> QuerySet[CannedReply]:
    """Return the global and per-platform canned replies, and those of accounts the user may see.

    With ``account``, only those a conversation of that account offers: global, its
    platform's and its own.
    """
    scoped = scope_to_accounts(CannedReply.objects.filter(account__isnull=False), user).values("pk")
    qs = CannedReply.objects.filter(Q(account__isnull=True) | Q(pk__in=scoped)).select_related("account", "platform")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if account is not None:
        platform_id = PlatformAccount.objects.filter(pk=account).values("platform_id")
        qs = qs.filter(
            Q(account__isnull=True, platform__isnull=True)
            | Q(account_id=account)
            | Q(platform_id__in=Subquery(platform_id))
        )
    return qs.order_by("title", "id")


def user_profile(*, user: AbstractUser) -> dict[str, Any]:
    """Return the caller's id, name, role and display time zone (None: use the browser's)."""
    tz = AgentProfile.objects.filter(user_id=user.pk).values_list("timezone", flat=True).first()
    return {"id": user.pk, "username": user.get_username(), "role": user_role(user), "timezone": tz}
