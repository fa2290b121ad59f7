"""Replies taken off the send path before they are sent.

Withdrawn for good (a take-over, an opt-out, an agent's reply, a newer reply that answers the
same messages), held for review when their account is switched off, or returned to review by
the send job when a check at send time refuses them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from inbox import holds
from inbox.choices import OutboundStatus, ReasonCode, Source
from inbox.holds import HoldReason
from inbox.models import OutboundMessage
from inbox.services.outbox.text import Actor
from leasebot.core import metrics
from leasebot.core.services import audit_record

#: Replies not yet handed to a sender: what a take-over or an opt-out withdraws.
_UNSENT = (OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.QUEUED, OutboundStatus.FAILED)


@transaction.atomic
def outbound_cancel_for_conversation(
    *,
    conversation_id: int,
    reason: str,
    only_bot: bool = True,
    actor: Actor = None,
    statuses: Iterable[str] = _UNSENT,
) -> int:
    """Withdraw the not-yet-sent bot replies of a conversation (human took over, opt-out, an agent's reply)."""
    qs = OutboundMessage.objects.select_for_update().filter(conversation_id=conversation_id, status__in=list(statuses))
    if only_bot:
        qs = qs.filter(source=Source.BOT)
    rows = list(qs)
    for row in rows:
        row.status = OutboundStatus.CANCELLED
        row.rejected_reason = reason[:500]
        row.save(update_fields=["status", "rejected_reason", "updated_at"])
        if actor is None:
            audit_record(action="outbound.cancel", system="worker", obj=row, reason=reason)
        else:
            audit_record(action="outbound.cancel", actor=actor, obj=row, reason=reason)
    return len(rows)


@transaction.atomic
def outbound_supersede(*, outbound_id: int, by_message_id: int) -> bool:
    """Withdraw a bot reply not yet on its way because a newer reply answers its messages too; return whether it was.

    Only an unsent bot row whose text no person edited is superseded (an agent's edit is work to
    keep); a row ``sending``, ``unknown`` or ``sent`` is already on its way and stays as it is. The
    caller holds the row lock it read the status under, so a send job cannot claim it meanwhile.
    """
    row = OutboundMessage.objects.select_for_update().get(pk=outbound_id)
    if row.status not in _UNSENT or row.source != Source.BOT or row.body != row.original_body:
        return False
    before = row.status
    row.status = OutboundStatus.CANCELLED
    row.rejected_reason = f"superseded: answered together with the renter's next message ({by_message_id})"
    row.save(update_fields=["status", "rejected_reason", "updated_at"])
    audit_record(
        action="outbound.superseded",
        system="decision",
        obj=row,
        before={"status": before},
        after={"status": row.status, "by_message_id": by_message_id},
        reason="one reply per burst",
    )
    metrics.inc("leasebot_outbound_superseded_total", platform=row.conversation.account.platform.slug)
    return True


def outbound_supersedable(outbound_id: int) -> bool:
    """Lock a reply row and tell whether :func:`outbound_supersede` would withdraw it (the lock holds till commit)."""
    row = OutboundMessage.objects.select_for_update().filter(pk=outbound_id).first()
    return row is not None and row.status in _UNSENT and row.source == Source.BOT and row.body == row.original_body


@transaction.atomic
def outbound_hold_for_accounts(*, account_ids: Iterable[int], reason: str) -> int:
    """Move the not-yet-sending rows of switched-off accounts back to review, with the reason.

    Called when an account or its platform is switched off, so nothing waits in ``queued``
    for an account no send job will visit; rows already ``sending`` finish or reconcile.
    """
    rows = list(
        OutboundMessage.objects.select_for_update(skip_locked=True)
        .filter(account_id__in=list(account_ids), status__in=[OutboundStatus.QUEUED, OutboundStatus.FAILED])
        .order_by("pk")
    )
    for row in rows:
        before = row.status
        row.status = OutboundStatus.PENDING_REVIEW
        row.hold_reasons = holds.merged(row.hold_reasons, [HoldReason.of(ReasonCode.ACCOUNT_INACTIVE, reason)])
        row.save(update_fields=["status", "hold_reasons", "updated_at"])
        audit_record(
            action="outbound.returned_to_review",
            system="policy",
            obj=row,
            before={"status": before},
            after={"status": row.status},
            reason=reason,
        )
    return len(rows)


def outbound_return_to_review(
    row: OutboundMessage, reason: HoldReason, *, status: str = OutboundStatus.PENDING_REVIEW, system: str = "worker"
) -> None:
    """Move a locked row out of the send path (to review, draft, cancelled or blocked) with the reason."""
    before = row.status
    row.status = status
    row.hold_reasons = holds.merged(row.hold_reasons, [reason])
    row.save(update_fields=["status", "hold_reasons", "updated_at"])
    audit_record(
        action="outbound.returned_to_review",
        system=system,
        obj=row,
        before={"status": before},
        after={"status": status},
        reason=reason.label,
    )
