"""Bulk triage of the review queue: approve, reject or assign several items, each on its own terms.

Every item is acted on in its own transaction, under its row locks, and only if it is still
exactly what the agent saw: the version the queue showed (``inbox.selectors``) must match
the row's version now (a draft's holds its conversation's, so a renter message, a take-over or
an assignment since the card was shown also counts as a change). An item that changed, left the
caller's scope or is refused by the one door it goes through (``outbound_approve`` /
``outbound_reject`` of the outbox, ``conversation_assign`` of the review desk) is skipped, with
the reason in words; the others go ahead. A draft's item locks its conversation first, then the
draft, the order a decision takes (the other order deadlocked with it); a database error on one
item (a deadlock or serialization failure all the same) skips that item with "try again" and rolls
back only its own transaction. Nothing here writes a row itself.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from inbox.models import Conversation, OutboundMessage
from inbox.selectors import conversation_version, outbound_stamp, outbound_version
from inbox.services.outbox import outbound_approve, outbound_reject
from inbox.services.review import Actor, conversation_assign
from leasebot.core.exceptions import LeasebotError, ValidationFailed

APPROVE, REJECT, ASSIGN = "approve", "reject", "assign"
ACTIONS = (APPROVE, REJECT, ASSIGN)
MAX_ITEMS = 100
KEY_RE = re.compile(r"^(outbound|conversation)-([0-9]{1,18})$")

DONE, SKIPPED = "done", "skipped"

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class BulkItem:
    """One item as the agent saw it: its queue key (``outbound-12``, ``conversation-5``) and version."""

    key: str
    version: str

    @property
    def kind(self) -> str:
        return self._parsed()[0]

    @property
    def pk(self) -> int:
        return self._parsed()[1]

    def _parsed(self) -> tuple[str, int]:
        match = KEY_RE.match(self.key)
        if match is None:
            raise ValidationFailed(f"not a queue item key: {self.key!r}", field="items")
        return match.group(1), int(match.group(2))


@dataclasses.dataclass(frozen=True)
class BulkResult:
    """What became of one item: done, or skipped and why; with the renter's name when known."""

    key: str
    outcome: str
    reason: str = ""
    renter_name: str = ""
    conversation: int | None = None
    status: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def bulk_items_parse(raw: Iterable[tuple[str, str]]) -> list[BulkItem]:
    """Return typed items from (key, version) pairs; refuse bad keys, duplicates and too many."""
    items = [BulkItem(key=key, version=version) for key, version in raw]
    if not items:
        raise ValidationFailed("select at least one item", field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"at most {MAX_ITEMS} items at once", field="items")
    seen: set[str] = set()
    for item in items:
        item._parsed()
        if item.key in seen:
            raise ValidationFailed(f"item {item.key} is listed twice", field="items")
        seen.add(item.key)
    return items


STALE = "it changed since you saw it ({what}); look at it again"
BUSY = "the database could not act on it just now ({error}); try again"

#: Conversation versions this call itself moved: conversation id -> (as the cards showed it, now).
#: Assigning one draft's conversation must not make the next draft of the same conversation stale.
OwnChanges = dict[int, tuple[str, str]]


def _as_seen(version: str, conversation_id: int, ours: OwnChanges) -> str:
    """Return the version the agent saw, moved on by this call's own change to the conversation."""
    shown, now = ours.get(conversation_id, ("", ""))
    if shown and version.endswith(shown):
        return version[: -len(shown)] + now
    return version


def _record_own_change(ours: OwnChanges, conversation_id: int, before: str, after: str) -> None:
    if after == before:
        return
    shown, now = ours.get(conversation_id, ("", ""))
    ours[conversation_id] = (shown if shown and now == before else before, after)


def _outbound_item(
    item: BulkItem,
    *,
    action: str,
    actor: Actor,
    reason: str,
    agent_id: int | None,
    visible: set[int],
    ours: OwnChanges,
) -> BulkResult:
    if item.pk not in visible:
        return BulkResult(item.key, SKIPPED, "not found in the accounts you may see")
    with transaction.atomic():
        # The conversation first, then the draft: the order a decision and the doors take.
        conv = Conversation.objects.select_for_update(of=("self",)).filter(outbound__pk=item.pk).first()
        if conv is None:
            return BulkResult(item.key, SKIPPED, "not found in the accounts you may see")
        row = OutboundMessage.objects.select_for_update(of=("self",)).get(pk=item.pk)
        row.conversation = conv
        name = conv.renter_name
        if outbound_version(row) != _as_seen(item.version, conv.pk, ours):
            what = f"the reply is now {row.get_status_display().lower()}"
            if item.version.startswith(f"{outbound_stamp(row)}/"):
                what = "the renter wrote again, or someone took it over or assigned it"
            return BulkResult(item.key, SKIPPED, STALE.format(what=what), name, conv.pk, row.status)
        if action == APPROVE:
            row = outbound_approve(outbound_id=row.pk, actor=actor)
        elif action == REJECT:
            row = outbound_reject(outbound_id=row.pk, actor=actor, reason=reason)
        else:
            before = conversation_version(conv)
            after = conversation_assign(conversation_id=conv.pk, actor=actor, agent_id=agent_id)
            _record_own_change(ours, conv.pk, before, conversation_version(after))
        return BulkResult(item.key, DONE, "", name, conv.pk, row.status)


def _conversation_item(
    item: BulkItem, *, action: str, actor: Actor, agent_id: int | None, visible: set[int], ours: OwnChanges
) -> BulkResult:
    if item.pk not in visible:
        return BulkResult(item.key, SKIPPED, "not found in the accounts you may see")
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=item.pk)
        if action != ASSIGN:
            why = f"there is no draft to {action}: this conversation waits for a person's own reply"
            return BulkResult(item.key, SKIPPED, why, conv.renter_name, conv.pk, conv.status)
        before = conversation_version(conv)
        if before != _as_seen(item.version, conv.pk, ours):
            what = "the renter wrote again or someone acted on it"
            return BulkResult(item.key, SKIPPED, STALE.format(what=what), conv.renter_name, conv.pk, conv.status)
        after = conversation_assign(conversation_id=conv.pk, actor=actor, agent_id=agent_id)
        _record_own_change(ours, conv.pk, before, conversation_version(after))
        return BulkResult(item.key, DONE, "", conv.renter_name, conv.pk, conv.status)


def review_bulk(
    *,
    actor: Actor,
    action: str,
    items: list[BulkItem],
    visible_outbound: set[int],
    visible_conversations: set[int],
    reason: str = "",
    agent_id: int | None = None,
) -> list[BulkResult]:
    """Act on each item that is still as shown and in scope; report every item's fate, in the order given.

    ``visible_*`` are the ids the caller may see (the API's scope); anything else is
    skipped as not found, never acted on. One item's refusal never stops the others.
    """
    if action not in ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}", field="action")
    reason = (reason or "").strip()
    if action == REJECT and not reason:
        raise ValidationFailed("say why the drafts are rejected", field="reason")
    if (
        action == ASSIGN
        and agent_id is not None
        and not get_user_model().objects.filter(pk=agent_id, is_active=True).exists()
    ):
        raise ValidationFailed("no such active user", field="agent")
    results = []
    ours: OwnChanges = {}
    for item in items:
        try:
            if item.kind == "outbound":
                result = _outbound_item(
                    item,
                    action=action,
                    actor=actor,
                    reason=reason,
                    agent_id=agent_id,
                    visible=visible_outbound,
                    ours=ours,
                )
            else:
                result = _conversation_item(
                    item, action=action, actor=actor, agent_id=agent_id, visible=visible_conversations, ours=ours
                )
        except LeasebotError as exc:
            result = _refused(item, exc)
        except DatabaseError as exc:
            # Its transaction (a savepoint inside the request's) is rolled back; the next item starts clean.
            logger.warning("bulk %s of %s failed in the database; skipped", action, item.key, exc_info=True)
            result = _refused(item, exc, why=BUSY.format(error=type(exc).__name__))
        results.append(result)
    return results


def _refused(item: BulkItem, exc: Exception, *, why: str = "") -> BulkResult:
    """Report a refusal by the door the item went through, or a database error (the row is re-read for the name)."""
    if not why:
        extra_reasons = (exc.extra.get("reasons") if isinstance(exc, LeasebotError) else None) or []
        why = str(exc) + (f" ({'; '.join(extra_reasons)})" if extra_reasons else "")
    try:
        if item.kind == "outbound":
            row = OutboundMessage.objects.select_related("conversation").filter(pk=item.pk).first()
            if row is not None:
                return BulkResult(item.key, SKIPPED, why, row.conversation.renter_name, row.conversation_id, row.status)
        else:
            conv = Conversation.objects.filter(pk=item.pk).first()
            if conv is not None:
                return BulkResult(item.key, SKIPPED, why, conv.renter_name, conv.pk, conv.status)
    except DatabaseError:
        logger.warning("bulk item %s: its name could not be read after a refusal", item.key, exc_info=True)
    return BulkResult(item.key, SKIPPED, why)
