"""Value sets of dispatch (also enforced as database CHECK constraints)."""

from django.db import models


class OutboundStatus(models.TextChoices):
    """DESIGN.md's status flow: draft/pending_review -> queued -> sending -> sent, or failed -> dead."""

    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Held for review"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DEAD = "dead", "Dead letter"
    BLOCKED = "blocked", "Blocked by guardrail"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = frozenset({OutboundStatus.SENT, OutboundStatus.DEAD, OutboundStatus.BLOCKED, OutboundStatus.CANCELLED})
REVIEWABLE_STATUSES = frozenset({OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.FAILED})


class Purpose(models.TextChoices):
    """Why an outbound exists; part of its dispatch key."""

    REPLY = "reply", "Reply"
    FOLLOW_UP = "follow_up", "Follow-up"
    CONFIRMATION = "confirmation", "Showing confirmation"
    MANUAL = "manual", "Agent reply"


class Source(models.TextChoices):
    """Who wrote the text."""

    BOT = "bot", "Bot"
    AGENT = "agent", "Agent"


class Stage(models.TextChoices):
    """Where in the pipeline an attempt or dead letter happened."""

    INGEST = "ingest", "Ingest"
    SEND = "send", "Send"
    RECONCILE = "reconcile", "Reconcile"
    LOGIN = "login", "Login"


class AttemptOutcome(models.TextChoices):
    """The ledger's outcomes (also metric labels)."""

    SUCCESS = "success", "Success"
    RETRY = "retry", "Retry"
    FAIL = "fail", "Fail"
    BLOCKED = "blocked", "Blocked"
    SKIPPED = "skipped", "Skipped"
    RECONCILED = "reconciled", "Reconciled"


class DeadLetterStatus(models.TextChoices):
    """A dead letter is open until an admin retries or discards it."""

    OPEN = "open", "Open"
    RETRIED = "retried", "Retried"
    DISCARDED = "discarded", "Discarded"
