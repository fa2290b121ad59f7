"""The outbox: every reply lease-bot may send, agents' private notes and canned replies.

The tables keep the names they had when these models lived in dispatch (migration 0005
moved the state only), so no row moved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from inbox.choices import OutboundStatus, Purpose, Source


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
    outbound_before = models.PositiveIntegerField(
        null=True, blank=True, help_text="Outbound messages the thread showed right before the send click."
    )
    clicked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the send job was about to click send (a read-back trusts 'absent' only well after it).",
    )
    outcome_evidence = models.JSONField(
        default=dict,
        blank=True,
        help_text="The read-back's verdict and candidate messages when the outcome is unknown.",
    )
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="A failed row is not claimed again before this time (its retry schedule)."
    )
    lost_worker_redeliveries = models.PositiveIntegerField(default=0)
    last_error_class = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dispatch_outboundmessage"  # Kept from before the outbox moved to inbox (migration 0005).
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


class ConversationNote(models.Model):
    """An agent's private note on a conversation: seen by the team, never sent to the renter.

    It holds the note text only, no renter data.
    """

    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "dispatch_conversationnote"
        ordering = ("created_at", "id")
        constraints = (models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty"),)

    def __str__(self) -> str:
        return f"note {self.pk} on conversation {self.conversation_id}"


class CannedReply(models.Model):
    """A ready-made answer agents insert into the reply editor: global, for one platform, or for one account.

    A conversation offers the global ones, its platform's and its account's.

    Its text is checked by the guardrails when saved, and again (like every text) when the
    reply it ends up in is queued and sent.
    """

    title = models.CharField(max_length=120)
    body = models.TextField()
    account = models.ForeignKey(
        "platforms.PlatformAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies"
    )
    platform = models.ForeignKey(
        "platforms.Platform", null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies"
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dispatch_cannedreply"
        ordering = ("title", "id")
        verbose_name_plural = "canned replies"
        constraints = (
            models.CheckConstraint(condition=~Q(body=""), name="canned_reply_body_not_empty"),
            models.CheckConstraint(
                condition=Q(account__isnull=True) | Q(platform__isnull=True), name="canned_reply_one_scope"
            ),
            models.UniqueConstraint(
                fields=("title",),
                condition=Q(account__isnull=True, platform__isnull=True),
                name="canned_reply_title_unique_global",
            ),
            models.UniqueConstraint(
                fields=("title", "platform"),
                condition=Q(platform__isnull=False),
                name="canned_reply_title_unique_per_platform",
            ),
            models.UniqueConstraint(
                fields=("title", "account"),
                condition=Q(account__isnull=False),
                name="canned_reply_title_unique_per_account",
            ),
        )

    def __str__(self) -> str:
        return self.title
