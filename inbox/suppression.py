"""Opt-out suppression and the first-live allow-list, keyed by a hash of platform + handle.

Only ``contact_hash`` is stored: an HMAC-SHA256 of "platform:handle" under a server-side
key (``LEASEBOT_SUPPRESSION_KEY``, required in production; the keys in
``LEASEBOT_SUPPRESSION_KEY_FALLBACKS`` are tried too so a key rotation does not forget who
opted out). Erasing a renter's data
removes the handle from conversations and messages; the hash stays, so a renter who said
"stop" is never written to again, and nothing left identifies them without the key.

A contact is a person on a platform, not a thread: the handle is the renter's profile id
the connector read (``Conversation.renter_handle``), the same in every thread they start
on that platform, on any of our accounts there. Suppressing a contact therefore marks
every conversation of theirs as opted out and withdraws the bot's unsent replies there
(the send paths check that flag), and lifting it reopens them all. Where a platform shows
no profile id the thread reference stands in (``thread:<account>:<thread>``): that
contact is one thread.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from inbox.choices import AllowListKind
from inbox.models import AllowListEntry, Conversation, Listing, SuppressionEntry
from inbox.workflow import transition
from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.services import audit_record

_SALT = "leasebot.inbox.suppression"


def _keys() -> list[str]:
    return [settings.LEASEBOT_SUPPRESSION_KEY, *settings.LEASEBOT_SUPPRESSION_KEY_FALLBACKS]


def _normalise(platform: str, handle: str) -> str:
    return f"{platform.strip().lower()}:{handle.strip().lower()}"


def contact_hash(platform: str, handle: str, *, key: str | None = None) -> str:
    """Return the keyed hash that identifies one contact on one platform."""
    if not handle.strip():
        raise ValidationFailed("a contact needs a handle to be hashed", field="handle")
    secret = key if key is not None else _keys()[0]
    return salted_hmac(_SALT, _normalise(platform, handle), secret=secret, algorithm="sha256").hexdigest()


def contact_hashes(platform: str, handle: str) -> list[str]:
    """Return the contact's hash under the current key and every fallback key."""
    return [contact_hash(platform, handle, key=key) for key in _keys()]


def conversation_contact(conversation: Conversation) -> tuple[str, str]:
    """Return (platform slug, handle) for a conversation; a thread reference stands in for a missing handle."""
    platform = conversation.account.platform.slug
    handle = conversation.renter_handle.strip() or f"thread:{conversation.account_id}:{conversation.thread_ref}"
    return platform, handle


def conversations_of_contact(platform: str, handle: str) -> QuerySet[Conversation]:
    """Return every conversation of one contact: all their threads on the platform, on any account.

    A handle matches case-insensitively and without surrounding space (as its hash does);
    the stand-in ``thread:<account>:<thread>`` matches that one thread.
    """
    handle = handle.strip()
    if not handle:
        raise ValidationFailed("a contact needs a handle", field="handle")
    same_platform = Conversation.objects.filter(account__platform__slug=platform.strip().lower())
    if handle.startswith("thread:"):
        account_id, _, thread_ref = handle[len("thread:") :].partition(":")
        if not account_id.isdigit():
            return same_platform.none()
        return same_platform.filter(account_id=int(account_id), thread_ref=thread_ref, renter_handle="")
    return same_platform.filter(renter_handle__iexact=handle)


def contact_is_suppressed(platform: str, handle: str) -> bool:
    """Tell whether a contact is on the active suppression list."""
    return SuppressionEntry.objects.filter(
        contact_hash__in=contact_hashes(platform, handle), lifted_at__isnull=True
    ).exists()


def conversation_is_suppressed(conversation: Conversation) -> bool:
    """Tell whether the conversation's renter opted out (flag or suppression list)."""
    return conversation.opted_out or contact_is_suppressed(*conversation_contact(conversation))


@transaction.atomic
def suppression_add(*, platform: str, handle: str, reason: str, actor: Any = None) -> SuppressionEntry:
    """Put a contact on the suppression list (idempotent: re-activates a lifted entry)."""
    digest = contact_hash(platform, handle)
    entry = (
        SuppressionEntry.objects.select_for_update().filter(contact_hash__in=contact_hashes(platform, handle)).first()
    )
    if entry is None:
        entry = SuppressionEntry.objects.create(contact_hash=digest, platform=platform, reason=reason[:40])
        audit_record(
            action="suppression.add", actor=actor, system="decision", obj=entry, platform=platform, reason=reason
        )
    elif entry.lifted_at is not None:
        entry.lifted_at, entry.lifted_by, entry.lift_reason, entry.reason = None, None, "", reason[:40]
        entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "reason"])
        audit_record(
            action="suppression.reactivate", actor=actor, system="decision", obj=entry, platform=platform, reason=reason
        )
    _opt_out_everywhere(entry, platform=platform, handle=handle, actor=actor)
    return entry


def _opt_out_everywhere(entry: SuppressionEntry, *, platform: str, handle: str, actor: Any) -> list[int]:
    """Mark every conversation of the contact opted out and withdraw the bot's unsent replies there."""
    from inbox.choices import ReasonCode
    from inbox.services.outbox import outbound_cancel_for_conversation  # inbox.services imports this module.

    changed = []
    for conversation in conversations_of_contact(platform, handle).select_for_update().order_by("pk"):
        if conversation.opted_out:
            continue
        conversation.opted_out = True
        conversation.next_follow_up_at = None
        conversation.save(update_fields=["opted_out", "next_follow_up_at", "updated_at"])
        outbound_cancel_for_conversation(conversation_id=conversation.pk, reason=str(ReasonCode.OPT_OUT))
        changed.append(conversation.pk)
    if changed:
        audit_record(
            action="suppression.apply",
            actor=actor,
            system="decision",
            obj=entry,
            platform=platform,
            after={"conversation_ids": changed},
        )
    return changed


@transaction.atomic
def suppression_lift(
    *, actor: Any, conversation_id: int | None = None, entry_id: int | None = None, reason: str = ""
) -> SuppressionEntry | None:
    """Lift an opt-out (an agent's decision) by conversation or by entry; reopen the conversation(s).

    Returns the lifted entry, or None when the conversation's contact was only flagged.
    """

    if (conversation_id is None) == (entry_id is None):
        raise ValidationFailed("give a conversation_id or an entry_id")
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed("only an agent can lift an opt-out")
    conversations: list[Conversation] = []
    if conversation_id is not None:
        conversation = (
            Conversation.objects.select_for_update().select_related("account__platform").get(pk=conversation_id)
        )
        conversations.append(conversation)
        entry = (
            SuppressionEntry.objects.select_for_update()
            .filter(contact_hash__in=contact_hashes(*conversation_contact(conversation)))
            .first()
        )
    else:
        entry = SuppressionEntry.objects.select_for_update().get(pk=int(entry_id or 0))
    if entry is not None and entry.lifted_at is None:
        entry.lifted_at, entry.lifted_by, entry.lift_reason = timezone.now(), actor, reason[:300]
        entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(action="suppression.lift", actor=actor, obj=entry, platform=entry.platform, reason=reason)
    if entry is not None:
        # Reopen every conversation of that contact (their handles hash to the entry), not only the one named.
        candidates = (
            Conversation.objects.select_for_update()
            .select_related("account__platform")
            .filter(opted_out=True)
            .order_by("pk")
        )
        matching = [c for c in candidates if entry.contact_hash in contact_hashes(*conversation_contact(c))]
        conversations = conversations + [c for c in matching if c.pk not in {x.pk for x in conversations}]
    for conversation in conversations:
        if conversation.opted_out:
            conversation.opted_out = False
            conversation.save(update_fields=["opted_out", "updated_at"])
        transition(conversation, field="workflow_outcome", to="engaged", actor=actor, reason="opt-out lifted")
        transition(conversation, field="follow_up_stage", to="none", actor=actor, reason="opt-out lifted")
    return entry


@transaction.atomic
def allowlist_add_renter(*, platform: str, handle: str, note: str = "", actor: Any = None) -> AllowListEntry:
    """Admit one renter to auto-send while first-live safety mode is on."""
    digest = contact_hash(platform, handle)
    entry, created = AllowListEntry.objects.get_or_create(
        contact_hash=digest, defaults={"kind": AllowListKind.RENTER, "platform": platform, "note": note[:200]}
    )
    if created:
        audit_record(action="allowlist.add", actor=actor, obj=entry, platform=platform)
    return entry


@transaction.atomic
def allowlist_add_listing(*, listing: Listing, note: str = "", actor: Any = None) -> AllowListEntry:
    """Admit every conversation about one listing to auto-send while first-live safety mode is on."""
    entry, created = AllowListEntry.objects.get_or_create(
        listing=listing, defaults={"kind": AllowListKind.LISTING, "note": note[:200]}
    )
    if created:
        audit_record(action="allowlist.add", actor=actor, obj=entry)
    return entry


def conversation_is_allowlisted(conversation: Conversation) -> bool:
    """Tell whether the conversation's renter or listing is on the allow-list."""
    if conversation.listing_id and AllowListEntry.objects.filter(listing_id=conversation.listing_id).exists():
        return True
    if not conversation.renter_handle.strip():
        return False
    return AllowListEntry.objects.filter(contact_hash__in=contact_hashes(*conversation_contact(conversation))).exists()
