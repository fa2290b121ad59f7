"""The worker layer's records: the attempt ledger and the dead letters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dispatch.choices import AttemptOutcome, DeadLetterStatus, Stage


class DispatchAttempt(models.Model):
    """One try at a platform job: the ledger that gates, metrics and audits read."""

    outbound = models.ForeignKey(
        "inbox.OutboundMessage", null=True, blank=True, on_delete=models.CASCADE, related_name="attempt_rows"
    )
    account = models.ForeignKey("platforms.PlatformAccount", on_delete=models.CASCADE, related_name="attempts")
    platform = models.CharField(max_length=32, db_index=True)
    stage = models.CharField(max_length=16, choices=Stage.choices)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    error_class = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = (
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="attempt_stage_valid"),
            models.CheckConstraint(condition=Q(outcome__in=AttemptOutcome.values), name="attempt_outcome_valid"),
        )
        indexes = (models.Index(fields=("platform", "stage", "started_at")),)

    def __str__(self) -> str:
        return f"{self.platform}/{self.stage} {self.outcome} {self.error_class}"


class DeadLetter(models.Model):
    """A job that exhausted its budget or could never succeed: waits for an admin."""

    platform = models.CharField(max_length=32, db_index=True)
    account = models.ForeignKey(
        "platforms.PlatformAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="dead_letters"
    )
    outbound = models.ForeignKey(
        "inbox.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="dead_letters"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices)
    error_class = models.CharField(max_length=64)
    error_message = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=DeadLetterStatus.choices, default=DeadLetterStatus.OPEN)
    retried_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(condition=Q(status__in=DeadLetterStatus.values), name="deadletter_status_valid"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="deadletter_stage_valid"),
            # One open dead letter per outbound: a redelivered failure cannot pile up duplicates.
            models.UniqueConstraint(
                fields=("outbound",),
                condition=Q(status=DeadLetterStatus.OPEN, outbound__isnull=False),
                name="deadletter_one_open_per_outbound",
            ),
        )

    def __str__(self) -> str:
        return f"dead letter {self.pk} {self.platform}/{self.stage} {self.error_class}"
