"""What became of a send: ``sent`` with the platform's receipt, or ``unknown`` and held for a person."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from inbox import holds
from inbox.choices import Direction, OutboundStatus, ReasonCode
from inbox.holds import HoldReason
from inbox.models import Conversation, Message, OutboundMessage
from inbox.services.escalation import conversation_escalate
from leasebot.core import metrics
from leasebot.core.services import audit_record
from platforms.connectors.base import Receipt

logger = logging.getLogger(__name__)


@transaction.atomic
def outbound_mark_sent(*, outbound_id: int, receipt: Receipt, reconciled: bool = False) -> bool:
    """Commit ``sent`` with the receipt if the row is ``sending`` (or ``unknown``); record the message. Idempotent."""
    row = OutboundMessage.objects.select_for_update().get(pk=outbound_id)
    if row.status == OutboundStatus.SENT:
        return False
    if row.status not in (OutboundStatus.SENDING, OutboundStatus.UNKNOWN):
        logger.error("outbound %s is %s, not sending: receipt %s not applied", row.pk, row.status, receipt.message_ref)
        return False
    if row.status == OutboundStatus.UNKNOWN:
        row.hold_reasons = holds.without(row.hold_reasons, ReasonCode.OUTCOME_UNKNOWN)
    row.status = OutboundStatus.SENT
    row.sent_at = receipt.sent_at or timezone.now()
    row.platform_message_ref = receipt.message_ref
    row.save(update_fields=["status", "sent_at", "platform_message_ref", "hold_reasons", "updated_at"])
    Message.objects.get_or_create(
        conversation_id=row.conversation_id,
        platform_message_ref=receipt.message_ref,
        defaults={
            "direction": Direction.OUTBOUND,
            "body": row.body,
            "sent_at": row.sent_at,
            "sent_by_bot": True,
            "sender_name": "lease-bot",
        },
    )
    Conversation.objects.filter(pk=row.conversation_id).update(last_outbound_at=row.sent_at)
    audit_record(
        action="outbound.sent",
        system="worker",
        obj=row,
        after={"platform_message_ref": receipt.message_ref, "reconciled": reconciled},
    )
    return True


@transaction.atomic
def outbound_mark_unknown(*, outbound_id: int, evidence: dict[str, Any], system: str = "worker") -> bool:
    """A reply that may have been sent but cannot be confirmed: hold it for a person with the evidence.

    Only a ``sending`` row becomes ``unknown``; it is never queued again by the machine. The
    conversation is escalated through the one door, so an agent looks at the thread.
    """
    row = OutboundMessage.objects.select_for_update().get(pk=outbound_id)
    if row.status != OutboundStatus.SENDING:
        return False
    row.status = OutboundStatus.UNKNOWN
    row.outcome_evidence = evidence
    row.hold_reasons = holds.merged(
        row.hold_reasons, [HoldReason.of(ReasonCode.OUTCOME_UNKNOWN, str(evidence.get("reason", "")))]
    )
    row.save(update_fields=["status", "outcome_evidence", "hold_reasons", "updated_at"])
    audit_record(
        action="outbound.outcome_unknown",
        system=system,
        obj=row,
        before={"status": OutboundStatus.SENDING},
        after={"status": row.status, "verdict": evidence.get("verdict", "")},
        reason=str(evidence.get("reason", ""))[:200],
    )
    metrics.inc("leasebot_outbound_total", platform=row.account.platform.slug, status=row.status)
    conversation_escalate(
        conversation_id=row.conversation_id,
        reasons=[HoldReason.of(ReasonCode.OUTCOME_UNKNOWN, f"reply {row.pk}: check the thread")],
        system=system,
    )
    return True
