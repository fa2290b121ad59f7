"""Dispatch services: the send and ingest jobs, the fan-out, the ledger and dead letters.

The outbox itself (its rows and every write to them but the send job's lease) belongs to
the inbox: ``inbox.services``.
"""

from dispatch.services.fanout import fanout
from dispatch.services.ingest import IngestSummary, ingest_account_run, ingest_deadletter
from dispatch.services.ledger import attempt_record, deadletter_create, deadletter_discard, deadletter_retry
from dispatch.services.sending import SendSummary, send_account_run

__all__ = [
    "IngestSummary",
    "SendSummary",
    "attempt_record",
    "deadletter_create",
    "deadletter_discard",
    "deadletter_retry",
    "fanout",
    "ingest_account_run",
    "ingest_deadletter",
    "send_account_run",
]
