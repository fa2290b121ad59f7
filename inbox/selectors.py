"""Reads of the inbox: templates for a conversation, unit facts, examples for the LLM, stored message refs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from datetime import UTC
from decimal import Decimal
from types import MappingProxyType

from django.db.models import Q

from inbox.choices import Language, OutboundStatus, TemplateKey
from inbox.engine.base import ResolvedTemplate, UnitFacts
from inbox.language import es_date, reply_language
from inbox.models import Conversation, Decision, Message, OutboundMessage, ReplyTemplate, Showing, Unit
from platforms.policies import snapshot_read


def stored_message_refs(*, account_id: int, thread_ref: str, refs: Iterable[str]) -> frozenset[str]:
    """Return which of ``refs`` one thread of an account already has stored (one query; none asked, none read)."""
    wanted = list(dict.fromkeys(refs))
    if not wanted:
        return frozenset()
    return frozenset(
        Message.objects.filter(
            conversation__account_id=account_id,
            conversation__thread_ref=thread_ref,
            platform_message_ref__in=wanted,
        ).values_list("platform_message_ref", flat=True)
    )


def reply_template_for(
    *, key: str, platform_id: int | None, account_id: int | None, language: str = Language.EN
) -> ResolvedTemplate | None:
    """Return the most specific active template for a key and language: the account's, the platform's, the global one."""
    rows = ReplyTemplate.objects.filter(key=key, language=language, is_active=True).filter(
        Q(account_id=account_id)
        | Q(platform_id=platform_id, account__isnull=True)
        | Q(platform__isnull=True, account__isnull=True)
    )
    best = None
    for row in rows:
        rank = 0 if row.account_id else 1 if row.platform_id else 2
        if best is None or rank < best[0]:
            best = (rank, row)
    if best is None:
        return None
    row = best[1]
    return ResolvedTemplate(
        key=row.key, version=row.version, body=row.body, auto_send=row.auto_send, language=row.language
    )


def templates_for_conversation(
    conversation: Conversation, *, language: str | None = None
) -> Mapping[str, ResolvedTemplate]:
    """Return every template key resolved for one conversation in one query, in the language of its replies.

    The replies follow the renter's language (``Conversation.language``, or ``language`` when the
    caller has just read it): Spanish for a Spanish-writing renter, English otherwise (a renter in
    another language gets an English draft, held for a person). A key with no template in that
    language is missing, never filled from another language: the reply is held (reason ``language``).

    Shared by the conversations of one account inside a ``policy_snapshot`` (an ingest batch),
    read again after at most a second, so an edited template reaches the next decisions.
    """
    wanted = reply_language(conversation.language if language is None else language)
    account_id = conversation.account_id
    platform_id = conversation.account.platform_id
    return snapshot_read(
        ("templates", account_id, platform_id, wanted),
        lambda: MappingProxyType(_templates_for(account_id, platform_id, wanted)),
    )


def _templates_for(account_id: int, platform_id: int, language: str) -> dict[str, ResolvedTemplate]:
    rows = ReplyTemplate.objects.filter(is_active=True, language=language).filter(
        Q(account_id=account_id)
        | Q(platform_id=platform_id, account__isnull=True)
        | Q(platform__isnull=True, account__isnull=True)
    )
    chosen: dict[str, tuple[int, ReplyTemplate]] = {}
    for row in rows:
        rank = 0 if row.account_id else 1 if row.platform_id else 2
        if row.key not in chosen or rank < chosen[row.key][0]:
            chosen[row.key] = (rank, row)
    return {
        key: ResolvedTemplate(row.key, row.version, row.body, row.auto_send, row.language)
        for key, (_rank, row) in chosen.items()
    }


def _money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"


def _date(value: dt.date | None, today: dt.date, language: str = Language.EN) -> str:
    if value is None:
        return ""
    spanish = reply_language(language) == Language.ES
    if value <= today:
        return "ahora" if spanish else "now"
    return es_date(value) if spanish else f"{value:%B} {value.day}, {value.year}"


def unit_facts(unit: Unit, *, today: dt.date, booked: bool = False, language: str = Language.EN) -> UnitFacts:
    """Return the unit's facts as a renter reads them (the address only when policy allows), in the reply language.

    Dates and the words the bot writes itself are in the reply's language; the unit's free texts
    (pet policy, parking) stay as the admin wrote them.
    """
    spanish = reply_language(language) == Language.ES
    address = unit.address or unit.listing.address
    if not (unit.share_address_before_showing or booked):
        address = "se comparte cuando tu visita esté reservada" if spanish else "shared once your showing is booked"
    studio = "estudio" if spanish else "studio"
    bedrooms = "" if unit.bedrooms is None else (studio if unit.bedrooms == 0 else str(unit.bedrooms))
    return UnitFacts(
        listing_title=unit.listing.title,
        unit_name=unit.name,
        address=address,
        rent=_money(unit.rent),
        deposit=_money(unit.deposit),
        available_from=_date(unit.available_from, today, language),
        bedrooms=bedrooms,
        pets_policy=unit.pets_policy,
        parking=unit.parking,
        min_lease_months=str(unit.min_lease_months or ""),
        application_url=unit.application_url,
        booked_address=unit.address or unit.listing.address,
        max_occupants=str(unit.max_occupants or ""),
    )


def llm_examples(*, limit: int = 4) -> tuple[tuple[str, str], ...]:
    """Return recent (renter message, agent-approved reply) pairs for the LLM prompt."""

    rows = (
        OutboundMessage.objects.filter(approved_by__isnull=False, status=OutboundStatus.SENT, in_reply_to__isnull=False)
        .select_related("in_reply_to")
        .order_by("-sent_at")[:limit]
    )
    return tuple((row.in_reply_to.body[:1000], row.body[:1000]) for row in rows if row.in_reply_to is not None)


def llm_playbook() -> str:
    """Return the team's playbook text for the LLM (a template admins edit, never sent)."""
    row = ReplyTemplate.objects.filter(
        key=TemplateKey.LLM_PLAYBOOK, language=Language.EN, is_active=True, platform__isnull=True, account__isnull=True
    ).first()
    return row.body if row else ""


def last_offer(conversation: Conversation, *, ignore: Iterable[int] = ()) -> tuple[dict, ...]:
    """Return the slots most recently offered in this conversation (by a reply or a no-show follow-up).

    A decision superseded by a later one (its reply never left: one reply per burst), or one in
    ``ignore`` (being superseded now), offered nothing the renter saw.
    """
    decision = (
        Decision.objects.filter(conversation=conversation, superseded_by__isnull=True)
        .exclude(pk__in=list(ignore))
        .exclude(offered_slots=[])
        .order_by("-created_at", "-id")
        .first()
    )
    after_no_show = (
        Showing.objects.filter(conversation=conversation, no_show_follow_up_at__isnull=False)
        .exclude(no_show_offer=[])
        .order_by("-no_show_follow_up_at")
        .first()
    )
    if (
        after_no_show is not None
        and after_no_show.no_show_follow_up_at is not None
        and (decision is None or after_no_show.no_show_follow_up_at > decision.created_at)
    ):
        return tuple(after_no_show.no_show_offer)
    return tuple(decision.offered_slots) if decision else ()


def outbound_version(row: OutboundMessage) -> str:
    """Return the token that changes whenever a reply or its conversation changes, or the renter writes.

    The reply's own stamp moves on an edit, approval, rejection or supersession; the conversation's
    (``conversation_version``) on a new renter message (which leaves an earlier draft untouched: the
    renter's "actually Thursday doesn't work" makes a new draft beside it), a take-over or an
    assignment. A queue card approved in bulk, or assigned, is acted on only if none of these moved
    since the card was shown. Read with ``select_related("conversation")`` where rows are many.
    """
    return f"{outbound_stamp(row)}/{conversation_version(row.conversation)}"


def outbound_stamp(row: OutboundMessage) -> str:
    """Return the reply's own part of ``outbound_version`` (its first part): it moves when the reply changes."""
    return row.updated_at.astimezone(UTC).isoformat(timespec="microseconds")


def conversation_version(conversation: Conversation) -> str:
    """Return the token that changes whenever a conversation changes or a renter writes into it.

    A renter's new message moves ``last_inbound_at`` without touching ``updated_at`` (ingest
    writes it with a plain update), so the token holds both.
    """
    stamps = (conversation.updated_at, conversation.last_inbound_at)
    return "/".join(s.astimezone(UTC).isoformat(timespec="microseconds") if s else "" for s in stamps)
