"""Value sets of dispatch (also enforced as database CHECK constraints)."""

from django.db import models


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
