"""Value sets of the platforms app (also enforced as database CHECK constraints)."""

from django.db import models


class PlatformSlug(models.TextChoices):
    """The five platforms; the slugs are the keys of connectors, replicas, locators and metrics."""

    SPAREROOM = "spareroom", "SpareRoom"
    ROOMIES = "roomies", "Roomies"
    LEASEBREAK = "leasebreak", "Leasebreak"
    RENTHOP = "renthop", "RentHop"
    FURNISHEDFINDER = "furnishedfinder", "Furnished Finder"


class SendMode(models.TextChoices):
    """Whether the bot sends its reply at once or leaves it for an agent."""

    AUTO_SEND = "auto_send", "Auto send"
    DRAFT_ONLY = "draft_only", "Draft only"


class RolloutStage(models.TextChoices):
    """How far a release is trusted: the stage caps every send mode."""

    SHADOW = "shadow", "Shadow (send nothing)"
    CANARY = "canary", "Canary (canary accounts only)"
    FULL = "full", "Full"


class CircuitState(models.TextChoices):
    """The per-account circuit breaker of the anti-bot guard."""

    CLOSED = "closed", "Closed"
    OPEN = "open", "Open"
    HALF_OPEN = "half_open", "Half-open"


class LoginMethod(models.TextChoices):
    """How an account signs in on its platform."""

    PASSWORD = "password", "Password form"
    EMAIL_CODE = "email_code", "E-mailed one-time code"
    OPERATOR = "operator", "Operator-assisted (social sign-in)"


class HealingStatus(models.TextChoices):
    """Where a healing proposal stands: open for a person, decided, or proven wrong by validation."""

    OPEN = "open", "Open (waiting for a person)"
    ACCEPTED = "accepted", "Accepted (an override)"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed validation (drift)"
