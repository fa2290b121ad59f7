"""Renters' personal data: erasure on request and after the retention period.

An erasure anonymises rather than deletes: the rows stay (so reports, gates and the
audit trail keep their facts: when a message came, whether it was answered, by whom,
what the engine decided) while every field that holds what a renter wrote or who they
are is emptied: message bodies and sender names, drafts and their original text,
decisions' reply text and extracted facts, the conversation's name, handle and lead
profile, dead-letter payloads and error texts, showing cancel reasons.

The audit trail holds ids and policy values only (``AuditLog``'s contract), so it is
left as it is; the erasure itself is recorded there without the handle. An erasure on
request also suppresses the contact, keeping only a keyed hash of platform + handle so
the person is never contacted again. The platform's copy of the thread is outside
lease-bot's reach; the message references are kept so a re-read does not bring the
erased texts back.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from inbox import holds, suppression
from inbox.events import outbound_erased
from inbox.models import AllowListEntry, Conversation, Decision, Message, OutboundMessage, Showing
from inbox.services.outbox import outbound_cancel_for_conversation
from leasebot.core.exceptions import ValidationFailed
from leasebot.core.services import audit_record
from platforms.models import Platform

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

ERASED = "[erased]"
#: Marks a draft an agent had edited before the erasure, so shadow agreement keeps its fact.
ERASED_EDITED = "[erased: edited by an agent]"


@dataclasses.dataclass
class ErasureResult:
    """How many rows an erasure anonymised (counts only, never content)."""

    conversations: int = 0
    messages: int = 0
    outbound: int = 0
    decisions: int = 0
    dead_letters: int = 0
    attempts: int = 0
    showings: int = 0
    cancelled: int = 0
    suppressed: bool = False
    conversation_ids: list[int] = dataclasses.field(default_factory=list)

    def add(self, other: ErasureResult) -> None:
        for field in (
            "conversations",
            "messages",
            "outbound",
            "decisions",
            "dead_letters",
            "attempts",
            "showings",
            "cancelled",
        ):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.suppressed = self.suppressed or other.suppressed
        self.conversation_ids += other.conversation_ids

    def counts(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "conversation_ids"}


def retention_days() -> int:
    """Return how long renters' data is kept (``LEASEBOT_RENTER_DATA_RETENTION_DAYS``; 0 keeps it for ever)."""
    return int(settings.LEASEBOT_RENTER_DATA_RETENTION_DAYS)


def contact_hash(platform_slug: str, handle: str) -> str:
    """Return the keyed hash the suppression and allow lists store instead of a handle (the inbox's own)."""
    return suppression.contact_hash(platform_slug, handle)


def _scrub_hold_reasons(reasons: Any) -> list[dict[str, str]]:
    """Keep each hold reason's code and category and drop its detail, which may quote the renter."""
    return holds.dump(holds.HoldReason.of(r.code, category=r.category) for r in holds.load(reasons))


def _suppress(platform_slug: str, handle: str, actor: Actor) -> bool:
    """Keep the contact from being written to again (hash only), and drop them from the allow-list."""
    suppression.suppression_add(platform=platform_slug, handle=handle, reason="erasure", actor=actor)
    AllowListEntry.objects.filter(contact_hash__in=suppression.contact_hashes(platform_slug, handle)).delete()
    return True


def _erase_one(conversation_id: int, *, suppress: bool, actor: Actor = None) -> ErasureResult:
    """Anonymise one conversation and everything hanging off it (inside the caller's transaction)."""
    conversation = Conversation.objects.select_for_update().select_related("account__platform").get(pk=conversation_id)
    result = ErasureResult(conversations=1, conversation_ids=[conversation_id])
    if suppress:
        # A thread reference stands in for a missing handle (the inbox's own rule).
        result.suppressed = _suppress(*suppression.conversation_contact(conversation), actor)
    result.cancelled = outbound_cancel_for_conversation(
        conversation_id=conversation_id, reason="erased", only_bot=False
    )

    outbound_ids = []
    for row in OutboundMessage.objects.select_for_update().filter(conversation_id=conversation_id).order_by("pk"):
        outbound_ids.append(row.pk)
        edited = bool(row.original_body) and row.body.strip() != row.original_body.strip()
        row.body = ERASED
        row.original_body = (ERASED_EDITED if edited else ERASED) if row.original_body else ""
        row.body_hash = ""
        row.last_error = ""
        row.rejected_reason = "erased" if row.rejected_reason else ""
        row.hold_reasons = _scrub_hold_reasons(row.hold_reasons)
        row.save(
            update_fields=[
                "body",
                "original_body",
                "body_hash",
                "last_error",
                "rejected_reason",
                "hold_reasons",
                "updated_at",
            ]
        )
    result.outbound = len(outbound_ids)

    result.messages = Message.objects.filter(conversation_id=conversation_id).update(body=ERASED, sender_name="")
    result.decisions = Decision.objects.filter(conversation_id=conversation_id).update(
        reply_text="", extracted={}, engine_detail=""
    )
    result.showings = (
        Showing.objects.filter(conversation_id=conversation_id).exclude(cancel_reason="").update(cancel_reason="")
    )
    # The worker layer scrubs its own rows (dead letters, the attempt ledger) and says how many.
    for _receiver, scrubbed in outbound_erased.send(sender=OutboundMessage, outbound_ids=outbound_ids):
        counts: dict[str, Any] = scrubbed if isinstance(scrubbed, dict) else {}
        result.dead_letters += int(counts.get("dead_letters", 0))
        result.attempts += int(counts.get("attempts", 0))

    conversation.renter_name = ""
    conversation.renter_handle = ""
    conversation.lead_profile = {}
    fields = ["renter_name", "renter_handle", "lead_profile", "updated_at"]
    if suppress:
        # Erased on request: the bot never writes to this thread again.
        conversation.opted_out = True
        fields.append("opted_out")
    conversation.save(update_fields=fields)
    return result


def _record(
    result: ErasureResult,
    *,
    actor: Actor,
    system: str,
    platform: str,
    reason: str,
    obj: Any = None,
    extra: dict[str, Any] | None = None,
) -> None:
    audit_record(
        action="privacy.erase",
        actor=actor,
        system=system,
        obj=obj,
        platform=platform,
        after={**result.counts(), "conversation_ids": result.conversation_ids, **(extra or {})},
        reason=reason,
    )
    logger.info("erased renter data: conversations %s", result.conversation_ids)


@transaction.atomic
def erase_conversation(*, conversation_id: int, actor: Actor, reason: str = "", suppress: bool = True) -> ErasureResult:
    """Erase one conversation's personal data (on request: also suppress the contact), audited."""

    conversation = Conversation.objects.select_related("account__platform").filter(pk=conversation_id).first()
    if conversation is None:
        raise ValidationFailed(f"conversation {conversation_id} does not exist", field="conversation")
    result = _erase_one(conversation_id, suppress=suppress, actor=actor)
    _record(
        result,
        actor=actor,
        system="privacy",
        platform=conversation.account.platform.slug,
        reason=reason,
        obj=conversation,
    )
    return result


@transaction.atomic
def erase_contact(*, platform_slug: str, handle: str, actor: Actor, reason: str = "") -> ErasureResult:
    """Erase every conversation of one renter (platform + handle) and suppress them, audited.

    The handle is the renter's profile id on the platform, so this reaches each thread
    they started there, on any account. The contact is suppressed even when lease-bot
    holds no conversation of theirs yet,
    so a future message from them is never answered. The audit row carries the
    suppression hash's prefix, never the handle.
    """

    handle = (handle or "").strip()
    if not handle:
        raise ValidationFailed("a handle is required", field="handle")
    if not Platform.objects.filter(slug=platform_slug).exists():
        raise ValidationFailed(f"unknown platform {platform_slug!r}", field="platform")
    # Every thread of theirs on the platform, on every account (where the platform shows no
    # profile id, the stand-in "thread:<account>:<thread>" names the one thread).
    ids = list(suppression.conversations_of_contact(platform_slug, handle).order_by("pk").values_list("pk", flat=True))
    result = ErasureResult()
    for pk in ids:
        result.add(_erase_one(pk, suppress=True, actor=actor))
    result.suppressed = _suppress(platform_slug, handle, actor)
    _record(
        result,
        actor=actor,
        system="privacy",
        platform=platform_slug,
        reason=reason,
        extra={"contact_hash_prefix": contact_hash(platform_slug, handle)[:12]},
    )
    return result


def expired_conversations(*, now: datetime | None = None, days: int | None = None) -> Any:
    """Return the conversations quiet for longer than the retention that still hold personal data."""

    days = retention_days() if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    quiet = (
        Q(created_at__lt=cutoff)
        & (Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=cutoff))
        & (Q(last_outbound_at__isnull=True) | Q(last_outbound_at__lt=cutoff))
        & ~Exists(Message.objects.filter(conversation=OuterRef("pk"), sent_at__gte=cutoff))
    )
    holds_data = (
        ~Q(renter_name="")
        | ~Q(renter_handle="")
        | ~Q(lead_profile={})
        | Exists(Message.objects.filter(conversation=OuterRef("pk")).exclude(body=ERASED))
        | Exists(OutboundMessage.objects.filter(conversation=OuterRef("pk")).exclude(body=ERASED))
    )
    return Conversation.objects.filter(quiet).filter(holds_data).order_by("pk")


def purge_expired(*, now: datetime | None = None, days: int | None = None, limit: int = 1000) -> ErasureResult:
    """Erase the conversations past the retention period, one transaction each, audited.

    Retention is not a request: nobody is suppressed. A retention of 0 days keeps
    everything (the purge does nothing). Idempotent: erased conversations are not
    selected again.
    """
    days = retention_days() if days is None else days
    total = ErasureResult()
    if days <= 0:
        return total
    for pk in list(expired_conversations(now=now, days=days).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            one = _erase_one(pk, suppress=False)
            conversation = Conversation.objects.select_related("account__platform").get(pk=pk)
            _record(
                one,
                actor=None,
                system="retention",
                platform=conversation.account.platform.slug,
                reason=f"retention: quiet for more than {days} days",
                obj=conversation,
            )
        total.add(one)
    return total
