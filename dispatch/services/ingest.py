"""The ingest job: read new messages, have the inbox store each exactly once, decide on the new ones.

Each message is stored by ``inbox.services.message_store`` in one transaction with what
follows from it: the decision on a renter's message, or the verdict on one of our side's
("ours" or a person's reply on the platform). The unique key on conversation and platform
message ref makes a re-read a no-op, so the two must land together: a worker killed between
storing and deciding would otherwise leave a message that every later read skips, never
answered or never recognised. One message's transaction never costs the others; a decision
that fails is rolled back to its savepoint and escalated, the message kept. This module owns
the job's frame: the lock, the policy check, the connector, the cursor, the ledger and health.

The read streams: the connector hands over each thread as soon as it has read it
(``Connector.fetch_threads``), and its messages are stored and committed then, while the
browser goes on to the next thread, the account lock extended at each step. A read cut short
(an error, the task's time limit) keeps every thread it stored. The cursor moves only when the
whole read completed, to the newest message stored: a thread left unread is never behind it.
What a cut-short read did is not lost either: each stored thread's inbox-row signature is kept
(``platforms.ThreadPreview``) and the next read does not open it again while its row is unchanged.
A read starts a little before the cursor, so a thread's messages from before it were most likely
stored by the last read: one query per thread tells which, and those are skipped (storing one
again would be a no-op, at the cost of a transaction of its own).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dispatch import connectors
from dispatch.choices import AttemptOutcome, Stage
from dispatch.locks import account_lock, platform_slot
from dispatch.retry import spends_attempt
from dispatch.services.ledger import attempt_record, deadletter_create, job_skipped
from dispatch.services.sending import after_error
from inbox import services as inbox_services
from inbox.choices import Direction
from inbox.selectors import stored_message_refs
from leasebot.core import metrics
from leasebot.core.logging import log_context
from leasebot.core.services import audit_batch
from platforms.choices import CircuitState
from platforms.connectors.base import Inbound, ThreadRead
from platforms.connectors.errors import CircuitOpen, ConnectorError
from platforms.models import PlatformAccount
from platforms.policies import account_may_run, policy_snapshot
from platforms.selectors import thread_previews
from platforms.services import (
    account_record_success,
    account_set_circuit,
    thread_preview_record,
    thread_previews_prune,
)

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
    #: Threads read and stored; threads not opened because their inbox row was unchanged.
    threads: int = 0
    unchanged: int = 0


def _decide(stored: inbox_services.Stored, summary: IngestSummary) -> None:
    """Run the decision step; a failure escalates the conversation, the message stays stored."""
    try:
        # The decision's audit rows go in with one INSERT, inside its transaction.
        with transaction.atomic(), audit_batch():
            decision = inbox_services.inbound_decide(message_id=stored.message_id, stored=stored)
        if decision is not None:
            summary.decided += 1
    except Exception as exc:
        logger.exception("decision failed for message %s", stored.message_id)
        summary.decision_failures += 1
        inbox_services.decision_failed(conversation_id=stored.conversation_id, error=exc)


def _store(account: PlatformAccount, item: Inbound, summary: IngestSummary, platform: str) -> None:
    """Store one message with its decision or verdict, in one transaction (see the module's docstring)."""
    summary.seen += 1
    with transaction.atomic():
        stored = inbox_services.message_store(account=account, item=item)
        if not stored.created:
            return
        if item.direction == Direction.INBOUND:
            summary.new_inbound += 1
            _decide(stored, summary)
        elif inbox_services.outbound_seen(stored=stored, item=item):
            summary.new_outbound_ours += 1
        else:
            summary.human_replies += 1
    if item.direction == Direction.INBOUND:
        metrics.inc("leasebot_messages_ingested_total", platform=platform)


def ingest_account_run(*, account_id: int) -> IngestSummary:
    """Run one account's ingest job; raise the connector error that stopped it after bookkeeping."""
    summary = IngestSummary(account_id=account_id)
    account = PlatformAccount.objects.select_related("platform").get(pk=account_id)
    platform = account.platform.slug
    with (
        contextlib.ExitStack() as stack,
        log_context(account=account_id, platform=platform, stage=Stage.INGEST),
        account_lock(account_id) as lock,
    ):
        if lock is None:
            summary.skipped = "lock_held"
            job_skipped(account, Stage.INGEST, "lock_held")
            return summary
        if not account_may_run(account_id).allowed:
            summary.skipped = "inactive"
            job_skipped(account, Stage.INGEST, "inactive")
            return summary
        if connectors.circuit_state(account_id) == CircuitState.OPEN:
            # Nothing would leave; the next tick reads again. Not a failure: no retry, no dead letter.
            summary.skipped = "circuit_open"
            job_skipped(account, Stage.INGEST, "circuit_open")
            return summary
        if stack.enter_context(platform_slot(platform)) is None:
            # The fleet already runs as many jobs on this site as it may: the next tick reads again.
            summary.skipped = "platform_busy"
            job_skipped(account, Stage.INGEST, "platform_busy")
            return summary
        started = timezone.now()
        since = account.ingest_cursor - CURSOR_OVERLAP if account.ingest_cursor else None
        # The batch's decisions share their policy reads for a second at most (the send job reads fresh).
        stack.enter_context(policy_snapshot())
        newest = cursor = account.ingest_cursor

        def store_thread(read: ThreadRead) -> None:
            # Called by the connector as each thread is read, while the browser is still on the site.
            nonlocal newest
            # The read overlaps the last one: the thread's messages from before the cursor are most
            # likely stored already. One read tells which; those are skipped (storing one again would
            # be a no-op of its own transaction), the others stored as ever, their unique key deciding.
            known = stored_message_refs(
                account_id=account_id,
                thread_ref=read.thread_ref,
                refs=[m.message_ref for m in read.messages if cursor is not None and m.sent_at <= cursor],
            )
            for item in read.messages:
                if item.message_ref in known:
                    summary.seen += 1
                else:
                    _store(account, item, summary, platform)
                newest = item.sent_at if newest is None or item.sent_at > newest else newest
                lock.extend()
            # Only now that every message of the thread is committed may the next read skip it
            # (a preview the database refuses is logged, not raised: the thread is opened next time).
            thread_preview_record(account_id=account_id, thread_ref=read.thread_ref, signature=read.signature)
            summary.threads += 1

        # Previews of threads quiet for weeks save nothing any more; a bounded batch goes at each read.
        thread_previews_prune(account_id=account_id)
        try:
            connector = connectors.connector_for(account)
            stats = connector.fetch_threads(
                since, on_thread=store_thread, seen=thread_previews(account_id=account_id), keepalive=lock.extend
            )
        except ConnectorError as exc:
            # What was stored stays stored; the cursor stays where it was (a thread may be unread).
            if not spends_attempt(exc):
                # Refused before any request left (the circuit opened meanwhile, our own limit).
                attempt_record(
                    account=account, stage=Stage.INGEST, outcome=AttemptOutcome.SKIPPED, started_at=started, error=exc
                )
                summary.skipped = "circuit_open" if isinstance(exc, CircuitOpen) else "rate_limited"
                return summary
            attempt_record(
                account=account,
                stage=Stage.INGEST,
                outcome=AttemptOutcome.RETRY if exc.retryable else AttemptOutcome.FAIL,
                started_at=started,
                error=exc,
                detail={"seen": summary.seen, "new": summary.new_inbound, "threads": summary.threads},
            )
            after_error(account, Stage.INGEST, exc)
            raise
        summary.unchanged = stats.unchanged
        # Every thread with new activity was read: the cursor may move to the newest message stored.
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
            detail={
                "seen": summary.seen,
                "new": summary.new_inbound,
                "human_replies": summary.human_replies,
                "threads": summary.threads,
                "unchanged": summary.unchanged,
            },
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
