"""Dispatch services: the outbox, the send and ingest jobs, the ledger and dead letters."""

from dispatch.services.fanout import fanout
from dispatch.services.ingest import IngestSummary, ingest_account_run, ingest_deadletter
from dispatch.services.ledger import attempt_record, deadletter_create, deadletter_discard, deadletter_retry
from dispatch.services.outbox import (
    body_hash,
    guardrail_reasons,
    outbound_approve,
    outbound_cancel_for_conversation,
    outbound_create,
    outbound_edit,
    outbound_hold_for_accounts,
    outbound_reject,
    outbound_reply_manual,
)
from dispatch.services.sending import SendSummary, outbound_mark_sent, send_account_run

__all__ = [
    "IngestSummary",
    "SendSummary",
    "attempt_record",
    "body_hash",
    "deadletter_create",
    "deadletter_discard",
    "deadletter_retry",
    "fanout",
    "guardrail_reasons",
    "ingest_account_run",
    "ingest_deadletter",
    "outbound_approve",
    "outbound_cancel_for_conversation",
    "outbound_create",
    "outbound_edit",
    "outbound_hold_for_accounts",
    "outbound_mark_sent",
    "outbound_reject",
    "outbound_reply_manual",
    "send_account_run",
]
