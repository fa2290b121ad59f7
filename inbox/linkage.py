"""Linkage: tie a conversation to the listing and unit the renter writes about.

First by the platform's listing reference (the id, or an id found in the listing URL),
then by an unambiguous title or address match in the reference text or the message.
What cannot be linked is kept, flagged (``unlinked`` / ``ambiguous``) and audited; the
decision engine then holds its reply for a human with the reason code ``unlinked``.
"""

from __future__ import annotations

import re
import urllib.parse

from django.db.models import Q

from inbox.choices import LinkageStatus
from inbox.models import Conversation, Listing, ListingRef, Message, Unit
from inbox.text import fold
from leasebot.core.services import audit_record
from platforms.policies import snapshot_read

_MIN_TITLE_CHARS = 8


def reference_candidates(reference: str) -> list[str]:
    """Return the strings a listing reference may be known by: itself, URL ids, query values, path parts."""
    reference = reference.strip()
    if not reference:
        return []
    found = [reference]
    parts = urllib.parse.urlsplit(reference)
    if parts.scheme in {"http", "https"}:
        found.append(reference.rstrip("/"))
        found.extend(value for values in urllib.parse.parse_qs(parts.query).values() for value in values)
        found.extend(segment for segment in parts.path.split("/") if segment)
    found.extend(re.findall(r"\d{4,}", reference))
    return list(dict.fromkeys(s for s in found if s))


def _by_reference(conversation: Conversation) -> Listing | None:
    candidates = reference_candidates(conversation.listing_ref_seen)
    if not candidates:
        return None
    platform_id = conversation.account.platform_id
    refs = ListingRef.objects.filter(platform_id=platform_id).filter(
        Q(external_ref__in=candidates) | Q(url__in=candidates)
    )
    listings = {ref.listing_id for ref in refs}
    if len(listings) == 1:
        return Listing.objects.get(pk=listings.pop())
    return None


def _active_listings() -> tuple[Listing, ...]:
    """Return the active listings; inside a ``policy_snapshot`` (an ingest batch) shared for a second at most."""
    return snapshot_read(("listings", "active"), lambda: tuple(Listing.objects.filter(is_active=True)))


def _by_title(conversation: Conversation, text: str) -> tuple[list[Listing], str]:
    haystack = fold(f"{conversation.listing_ref_seen}\n{text[:3000]}")
    matches = []
    for listing in _active_listings():
        for needle in (listing.title, listing.address):
            needle_f = fold(needle)
            if len(needle_f) >= _MIN_TITLE_CHARS and needle_f in haystack:
                matches.append(listing)
                break
    return matches, haystack


def _unit_for(listing: Listing, haystack: str) -> Unit | None:
    units = list(listing.units.all())
    if len(units) == 1:
        return units[0]
    named = [u for u in units if fold(u.name) and re.search(rf"\b{re.escape(fold(u.name))}\b", haystack)]
    return named[0] if len(named) == 1 else None


def conversation_link(*, conversation: Conversation, message: Message | None = None) -> str:
    """Link ``conversation`` to a listing (and unit when it can tell); return the linkage status."""
    text = message.body if message is not None else ""
    haystack = fold(f"{conversation.listing_ref_seen}\n{text[:3000]}")
    listing = _by_reference(conversation)
    status = LinkageStatus.BY_REFERENCE if listing else LinkageStatus.UNLINKED
    if listing is None:
        matches, haystack = _by_title(conversation, text)
        if len(matches) == 1:
            listing, status = matches[0], LinkageStatus.BY_TITLE
        elif len(matches) > 1:
            status = LinkageStatus.AMBIGUOUS
    unit = _unit_for(listing, haystack) if listing is not None else None
    conversation.listing, conversation.unit, conversation.linkage_status = listing, unit, status
    conversation.save(update_fields=["listing", "unit", "linkage_status", "updated_at"])
    audit_record(
        action="conversation.link",
        system="linkage",
        obj=conversation,
        platform=conversation.account.platform.slug,
        after={"status": status, "listing_id": listing.pk if listing else None, "unit_id": unit.pk if unit else None},
        reason="" if unit else ("no unit chosen: the listing has several units" if listing else "no listing matched"),
    )
    return status
