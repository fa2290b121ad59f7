"""The ingest job: read new messages, store each exactly once, decide on the new ones.

Each inbound message is stored in its own transaction (the unique key on conversation
and platform message ref makes a re-read a no-op), so one bad message never costs the
others, and a message is never lost for a failure that comes after it was stored.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch import connectors
from dispatch.choices import AttemptOutcome, Stage
from dispatch.locks import account_lock
from dispatch.services.ledger import attempt_record, deadletter_create
from dispatch.services.outbox import HUMAN_REPLIED, outbound_cancel_for_conversation
from dispatch.services.sending import _after_error, outbound_mark_sent
from inbox.choices import OutboundStatus
from inbox.models import OutboundMessage
from leasebot.core import metrics
from leasebot.core.logging import log_context
from leasebot.core.services import audit_record
from platforms.connectors.base import Inbound, Receipt
from platforms.connectors.errors import ConnectorError
from platforms.models import PlatformAccount
from platforms.policies import account_may_run
from platforms.services import account_record_success, account_set_circuit

logger = logging.getLogger(__name__)

#: Read a little before the newest message seen: platforms' clocks and page orders wobble.
CURSOR_OVERLAP = timedelta(minutes=30)


@dataclasses.dataclass
class IngestSummary:
    """What one ingest job did."""

    account_id: int
    skipped: str = ""
    seen: int = 0
    new_inbound: int = 0
    new_outbound_ours: int = 0
    human_replies: int = 0
    decided: int = 0
    decision_failures: int = 0


def _store(account: PlatformAccount, item: Inbound) -> tuple[int, int, bool]:
    """Upsert the conversation and insert the message; return (conversation id, message id, created)."""
    from inbox.models import Conversation, Message

    with transaction.atomic():
        conversation, _ = Conversation.objects.get_or_create(
            account=account,
            thread_ref=item.thread_ref,
            defaults={
                "renter_name": item.sender_name if item.direction == "in" else "",
                "renter_handle": item.sender_handle,
                "listing_ref_seen": item.listing_ref or item.listing_url,
            },
        )
        updates: dict[str, object] = {}
        if item.direction == "in" and not conversation.renter_name and item.sender_name:
            updates["renter_name"] = item.sender_name
        if not conversation.listing_ref_seen and (item.listing_ref or item.listing_url):
            updates["listing_ref_seen"] = item.listing_ref or item.listing_url
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    direction=item.direction,
                    platform_message_ref=item.message_ref,
                    sender_name=item.sender_name,
                    body=item.body,
                    sent_at=item.sent_at,
                )
        except IntegrityError:
            existing = Message.objects.get(conversation=conversation, platform_message_ref=item.message_ref)
            return conversation.pk, existing.pk, False
        if item.direction == "in":
            newest = conversation.last_inbound_at
            if newest is None or item.sent_at > newest:
                updates["last_inbound_at"] = item.sent_at
        if updates:
            Conversation.objects.filter(pk=conversation.pk).update(**updates)
        return conversation.pk, message.pk, True


def _classify_outbound(account: PlatformAccount, conversation_id: int, message_id: int, item: Inbound) -> bool:
    """Return True if an outbound message seen on the platform is ours; else hand the conversation to humans.

    Ours means a row with that platform ref, or a row still ``sending`` with the same text
    (which this read-back also reconciles). Anything else an agent typed on the platform
    itself: a human reply wins, the bot goes silent there.
    """
    from inbox.models import Conversation, Message

    ours = OutboundMessage.objects.filter(
        conversation_id=conversation_id, platform_message_ref=item.message_ref
    ).exists()
    if not ours:
        pending = (
            OutboundMessage.objects.filter(
                conversation_id=conversation_id, status=OutboundStatus.SENDING, body=item.body.strip()
            )
            .order_by("pk")
            .first()
        )
        if pending is not None:
            ours = (
                outbound_mark_sent(
                    outbound_id=pending.pk,
                    receipt=Receipt(item.thread_ref, item.message_ref, item.sent_at),
                    reconciled=True,
                )
                or True
            )
        else:
            ours = OutboundMessage.objects.filter(
                conversation_id=conversation_id, status=OutboundStatus.SENT, body=item.body.strip()
            ).exists()
    if ours:
        Message.objects.filter(pk=message_id).update(sent_by_bot=True)
        return True
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if not (conversation.human_required and conversation.human_reason == HUMAN_REPLIED):
            conversation.human_required = True
            conversation.human_reason = HUMAN_REPLIED
            conversation.human_required_since = timezone.now()
            conversation.save(update_fields=["human_required", "human_reason", "human_required_since", "updated_at"])
            audit_record(
                action="conversation.human_replied", system="ingest", obj=conversation, platform=account.platform.slug
            )
        outbound_cancel_for_conversation(conversation_id=conversation_id, reason=HUMAN_REPLIED)
    return False


def _decide(message_id: int, conversation_id: int, summary: IngestSummary) -> None:
    """Run the decision step; a failure escalates the conversation, the message stays stored."""
    from inbox.models import Conversation
    from inbox.services import inbound_decide

    try:
        with transaction.atomic():
            decision = inbound_decide(message_id=message_id)
        if decision is not None:
            summary.decided += 1
    except Exception as exc:
        logger.exception("decision failed for message %s", message_id)
        summary.decision_failures += 1
        Conversation.objects.filter(pk=conversation_id).update(
            human_required=True,
            human_reason=f"decision_failed:{type(exc).__name__}",
            human_required_since=timezone.now(),
        )


def ingest_account_run(*, account_id: int) -> IngestSummary:
    """Run one account's ingest job; raise the connector error that stopped it after bookkeeping."""
    summary = IngestSummary(account_id=account_id)
    account = PlatformAccount.objects.select_related("platform").get(pk=account_id)
    platform = account.platform.slug
    with log_context(account=account_id, platform=platform, stage=Stage.INGEST), account_lock(account_id) as lock:
        if lock is None:
            summary.skipped = "lock_held"
            metrics.inc("leasebot_fanout_skipped_total", platform=platform, stage=Stage.INGEST, reason="lock_held")
            return summary
        if not account_may_run(account_id).allowed:
            summary.skipped = "inactive"
            metrics.inc("leasebot_fanout_skipped_total", platform=platform, stage=Stage.INGEST, reason="inactive")
            return summary
        started = timezone.now()
        since = account.ingest_cursor - CURSOR_OVERLAP if account.ingest_cursor else None
        try:
            connector = connectors.connector_for(account)
            items = connector.fetch_new_messages(since)
        except ConnectorError as exc:
            attempt_record(
                account=account,
                stage=Stage.INGEST,
                outcome=AttemptOutcome.RETRY if exc.retryable else AttemptOutcome.FAIL,
                started_at=started,
                error=exc,
            )
            _after_error(account, Stage.INGEST, exc)
            raise
        newest = account.ingest_cursor
        for item in items:
            summary.seen += 1
            conversation_id, message_id, created = _store(account, item)
            newest = item.sent_at if newest is None or item.sent_at > newest else newest
            if not created:
                continue
            if item.direction == "in":
                summary.new_inbound += 1
                metrics.inc("leasebot_messages_ingested_total", platform=platform)
                _decide(message_id, conversation_id, summary)
            elif _classify_outbound(account, conversation_id, message_id, item):
                summary.new_outbound_ours += 1
            else:
                summary.human_replies += 1
            lock.extend()
        PlatformAccount.objects.filter(pk=account_id).update(ingest_cursor=newest)
        if summary.new_inbound or summary.human_replies:
            logger.info(
                "ingest: %d new inbound message(s), %d decided, %d agent repl(ies) seen on the platform",
                summary.new_inbound,
                summary.decided,
                summary.human_replies,
            )
        attempt_record(
            account=account,
            stage=Stage.INGEST,
            outcome=AttemptOutcome.SUCCESS,
            started_at=started,
            detail={"seen": summary.seen, "new": summary.new_inbound, "human_replies": summary.human_replies},
        )
        account_record_success(account_id=account_id, stage=Stage.INGEST)
        try:
            account_set_circuit(account_id=account_id, state=connectors.circuit_state(account_id))
        except Exception:  # noqa: BLE001 - health mirroring is best effort.
            logger.debug("circuit state unavailable for account %s", account_id)
    return summary


def ingest_deadletter(*, account_id: int, error: ConnectorError, attempts: int) -> None:
    """Keep an ingest job that exhausted its budget as a dead letter (its messages are still on the platform)."""
    account = PlatformAccount.objects.select_related("platform").get(pk=account_id)
    deadletter_create(
        account=account,
        platform=account.platform.slug,
        stage=Stage.INGEST,
        error_class=error.error_class,
        error_message=error.message,
        attempts=attempts,
        payload={"account_id": account_id},
    )
