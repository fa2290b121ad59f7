"""The outbox, its attempt ledger and the dead letters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dispatch.choices import AttemptOutcome, DeadLetterStatus, OutboundStatus, Purpose, Source, Stage


class OutboundMessage(models.Model):
    """One reply lease-bot may send, exactly once: the outbox row.

    ``dispatch_key`` is deterministic (inbound message + purpose, or the client's
    idempotency key) and unique in the database, so the same cause can never yield two.
    """

    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.PROTECT, related_name="outbound")
    account = models.ForeignKey("platforms.PlatformAccount", on_delete=models.PROTECT, related_name="outbound")
    decision = models.ForeignKey(
        "inbox.Decision", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound"
    )
    in_reply_to = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.REPLY)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.BOT)
    dispatch_key = models.CharField(max_length=200, unique=True)
    body = models.TextField()
    original_body = models.TextField(blank=True, help_text="The bot's draft before any agent edit.")
    body_hash = models.CharField(max_length=64, blank=True, help_text="For idempotency-key reuse checks.")
    status = models.CharField(
        max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.DRAFT, db_index=True
    )
    hold_reasons = models.JSONField(default=list, blank=True)
    shadow_would_send = models.BooleanField(default=False, help_text="Shadow stage: this would have been auto-sent.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.CharField(max_length=500, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True, help_text="The lease a reconcile checks.")
    sent_at = models.DateTimeField(null=True, blank=True)
    platform_message_ref = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lost_worker_redeliveries = models.PositiveIntegerField(default=0)
    last_error_class = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(condition=Q(status__in=OutboundStatus.values), name="outbound_status_valid"),
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="outbound_purpose_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="outbound_source_valid"),
            models.CheckConstraint(
                condition=~Q(status=OutboundStatus.SENDING) | Q(sending_started_at__isnull=False),
                name="outbound_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboundStatus.SENT) | Q(sent_at__isnull=False), name="outbound_sent_has_time"
            ),
        )
        indexes = (models.Index(fields=("account", "status")),)

    def __str__(self) -> str:
        return f"outbound {self.pk} [{self.status}] {self.dispatch_key}"


class DispatchAttempt(models.Model):
    """One try at a platform job: the ledger that gates, metrics and audits read."""

    outbound = models.ForeignKey(
        OutboundMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attempt_rows"
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
        OutboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="dead_letters"
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


class ConversationNote(models.Model):
    """An agent's private note on a conversation: seen by the team, never sent to the renter.

    Lives in dispatch beside the outbox because it belongs to the review desk's writes
    (see docs/decisions/0071-review-desk-models.md); it holds the note text only, no renter data.
    """

    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = (models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty"),)

    def __str__(self) -> str:
        return f"note {self.pk} on conversation {self.conversation_id}"


class CannedReply(models.Model):
    """A ready-made answer agents insert into the reply editor; global or for one account.

    Its text is checked by the guardrails when saved, and again (like every text) when the
    reply it ends up in is queued and sent.
    """

    title = models.CharField(max_length=120)
    body = models.TextField()
    account = models.ForeignKey(
        "platforms.PlatformAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies"
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("title", "id")
        verbose_name_plural = "canned replies"
        constraints = (
            models.CheckConstraint(condition=~Q(body=""), name="canned_reply_body_not_empty"),
            models.UniqueConstraint(
                fields=("title",), condition=Q(account__isnull=True), name="canned_reply_title_unique_global"
            ),
            models.UniqueConstraint(
                fields=("title", "account"),
                condition=Q(account__isnull=False),
                name="canned_reply_title_unique_per_account",
            ),
        )

    def __str__(self) -> str:
        return self.title
