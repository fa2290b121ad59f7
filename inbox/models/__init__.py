"""Listings, units, agents' availability, conversations, messages, decisions, showings; the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from inbox import holds
from inbox.choices import (
    AvailabilityKind,
    ConversationStatus,
    Direction,
    FollowUpStage,
    Language,
    LinkageStatus,
    ShowingState,
    ShowingStatus,
    WorkflowOutcome,
)
from leasebot.core.validators import validate_timezone  # inbox.migrations.0001 names it here.


class Folded(Func):
    """``inbox_fold(text)``: the text in capitals without its accents ("José" and "JOSE" read alike).

    What conversation search compares, on both sides (migration "search_folds_accents" creates the
    function over PostgreSQL's ``unaccent``, immutable so that a trigram index can hold it).
    """

    function = "inbox_fold"
    output_field = models.TextField()


class Listing(models.Model):
    """An advertisement the team runs; it may be posted on several platforms."""

    title = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("title",)

    def __str__(self) -> str:
        return self.title


class Unit(models.Model):
    """A rentable home with the facts replies quote and the rules showings follow."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    rent = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    deposit = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    available_from = models.DateField(null=True, blank=True)
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    pets_policy = models.CharField(max_length=200, blank=True)
    parking = models.CharField(max_length=200, blank=True)
    min_lease_months = models.PositiveSmallIntegerField(null=True, blank=True)
    max_occupants = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The occupancy limit (building or local code); stated to renters as a fact, never a screen.",
    )
    share_address_before_showing = models.BooleanField(default=False)
    application_url = models.URLField(blank=True)
    showing_duration_minutes = models.PositiveSmallIntegerField(default=30)
    showing_buffer_minutes = models.PositiveSmallIntegerField(default=15)
    showing_group_size = models.PositiveSmallIntegerField(
        default=1, help_text="How many renters may book the same showing of this unit (1: private showings)."
    )
    agents: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="UnitAssignment", related_name="units"
    )

    class Meta:
        ordering = ("listing__title", "name")
        constraints = (
            models.UniqueConstraint(fields=("listing", "name"), name="unit_name_unique_per_listing"),
            models.CheckConstraint(condition=Q(showing_duration_minutes__gte=5), name="unit_showing_duration_min"),
            models.CheckConstraint(condition=Q(showing_group_size__gte=1), name="unit_showing_group_size_min"),
        )

    def __str__(self) -> str:
        return f"{self.listing.title} / {self.name}"


class ListingRef(models.Model):
    """A listing's identity on one platform: the id (and URL) renters' messages carry."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="refs")
    platform = models.ForeignKey("platforms.Platform", on_delete=models.PROTECT, related_name="listing_refs")
    external_ref = models.CharField(max_length=200)
    url = models.URLField(blank=True, max_length=500)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("platform", "external_ref"), name="listing_ref_unique_per_platform"),
        )

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.external_ref}"


class UnitAssignment(models.Model):
    """An agent who shows a unit; only assigned agents' time is ever offered."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="assignments")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_assignments")
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("unit", "agent"), name="assignment_unique"),)

    def __str__(self) -> str:
        return f"{self.agent_id} -> {self.unit_id}"


class AgentProfile(models.Model):
    """An agent's working facts: time zone for display and availability."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class AvailabilityRule(models.Model):
    """A window (weekly or dated) or a block, for a unit's showings or an agent's time.

    Times are wall-clock in the owner's time zone, so a weekly 10:00-12:00 window stays
    10:00-12:00 across daylight-saving changes.
    """

    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="availability")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="availability"
    )
    kind = models.CharField(max_length=16, choices=AvailabilityKind.choices, default=AvailabilityKind.WEEKLY)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday, for weekly windows.")
    date = models.DateField(null=True, blank=True, help_text="For dated windows and blocks.")
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=(Q(unit__isnull=False, agent__isnull=True) | Q(unit__isnull=True, agent__isnull=False)),
                name="availability_one_owner",
            ),
            models.CheckConstraint(condition=Q(kind__in=AvailabilityKind.values), name="availability_kind_valid"),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="availability_positive_length"),
            models.CheckConstraint(
                condition=(
                    Q(kind=AvailabilityKind.WEEKLY, weekday__isnull=False, weekday__lte=6)
                    | (~Q(kind=AvailabilityKind.WEEKLY) & Q(date__isnull=False))
                ),
                name="availability_weekday_or_date",
            ),
        )

    def __str__(self) -> str:
        owner = f"unit {self.unit_id}" if self.unit_id else f"agent {self.agent_id}"
        when = f"weekday {self.weekday}" if self.kind == AvailabilityKind.WEEKLY else str(self.date)
        return f"{owner} {self.kind} {when} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Conversation(models.Model):
    """One platform thread with one renter, and where its workflow stands.

    ``status`` is the agents' own: open, resolved, or snoozed until ``snoozed_until``. A
    snooze whose time has passed reads as open (:meth:`current_status`); any escalation,
    a renter's new message above all, reopens a resolved or snoozed conversation
    (``inbox.services.escalation``).

    ``follow_ups_paused_at`` set means an agent paused the bot's follow-ups here: the sweep
    skips the conversation, and ``next_follow_up_at`` keeps the schedule for the resume.
    """

    account = models.ForeignKey("platforms.PlatformAccount", on_delete=models.PROTECT, related_name="conversations")
    thread_ref = models.CharField(max_length=200)
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    linkage_status = models.CharField(max_length=16, choices=LinkageStatus.choices, default=LinkageStatus.PENDING)
    listing_ref_seen = models.CharField(
        max_length=500, blank=True, help_text="The listing reference the platform showed."
    )
    renter_name = models.CharField(max_length=200, blank=True)
    renter_handle = models.CharField(max_length=200, blank=True)
    workflow_outcome = models.CharField(max_length=20, choices=WorkflowOutcome.choices, default=WorkflowOutcome.NEW)
    showing_state = models.CharField(max_length=20, choices=ShowingState.choices, default=ShowingState.NONE)
    follow_up_stage = models.CharField(max_length=20, choices=FollowUpStage.choices, default=FollowUpStage.NONE)
    human_required = models.BooleanField(default=False, db_index=True)
    human_reasons = models.JSONField(
        default=list, blank=True, help_text="Why a person is needed: typed reasons (inbox.holds), first one first."
    )
    human_required_since = models.DateTimeField(null=True, blank=True)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    taken_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="taken_conversations"
    )
    opted_out = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
        db_index=True,
        help_text="The agents' status: open, resolved, or snoozed until ``snoozed_until`` (a renter message wakes it).",
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_profile = models.JSONField(default=dict, blank=True)
    language = models.CharField(
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text="The language the renter last wrote in (blank: not known yet); replies follow it.",
    )
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    next_follow_up_at = models.DateTimeField(null=True, blank=True, db_index=True)
    follow_ups_paused_at = models.DateTimeField(null=True, blank=True)
    follow_ups_paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-last_inbound_at", "-id")
        constraints = (
            models.UniqueConstraint(fields=("account", "thread_ref"), name="conversation_thread_unique_per_account"),
            models.CheckConstraint(condition=Q(workflow_outcome__in=WorkflowOutcome.values), name="conv_outcome_valid"),
            models.CheckConstraint(condition=Q(showing_state__in=ShowingState.values), name="conv_showing_state_valid"),
            models.CheckConstraint(condition=Q(follow_up_stage__in=FollowUpStage.values), name="conv_follow_up_valid"),
            models.CheckConstraint(condition=Q(linkage_status__in=LinkageStatus.values), name="conv_linkage_valid"),
            models.CheckConstraint(condition=Q(status__in=ConversationStatus.values), name="conv_status_valid"),
            models.CheckConstraint(condition=Q(language__in=["", *Language.values]), name="conv_language_valid"),
            models.CheckConstraint(
                condition=Q(status=ConversationStatus.SNOOZED, snoozed_until__isnull=False)
                | (~Q(status=ConversationStatus.SNOOZED) & Q(snoozed_until__isnull=True)),
                name="conv_snoozed_has_until",
            ),
        )
        # The list's order: a search may walk it and stop at the first page's 26 matches (and
        # the bounded count at 1,001) instead of reading every message a common word is in.
        indexes = (models.Index(F("last_inbound_at").desc(), F("id").desc(), name="conversation_last_activity"),)

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.account_id}:{self.thread_ref})"

    def current_status(self, now: datetime | None = None) -> str:
        """Return the status as agents see it now: a snooze that has run out is open again."""
        until = self.snoozed_until
        if self.status == ConversationStatus.SNOOZED and until is not None and until <= (now or timezone.now()):
            return ConversationStatus.OPEN
        return self.status

    @property
    def human_reason(self) -> str:
        """The reasons a person is needed, in words (empty when none)."""
        return "; ".join(r.label for r in holds.load(self.human_reasons))


class Message(models.Model):
    """One message of a thread, as the platform shows it (renter's or ours)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    platform_message_ref = models.CharField(max_length=200)
    sender_name = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    sent_at = models.DateTimeField()
    seen_at = models.DateTimeField(auto_now_add=True)
    sent_by_bot = models.BooleanField(
        default=False, help_text="An outbound lease-bot sent (else an agent on the platform)."
    )
    decide_after = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The renter was still writing: the burst this message belongs to is decided at this time.",
    )

    class Meta:
        ordering = ("sent_at", "id")
        indexes = (
            # The conversation search matches message text folded (inbox_fold(body) LIKE '%...%', any
            # accent and case): a trigram index on that expression keeps it fast on large inboxes
            # (docs/performance.md).
            GinIndex(OpClass(Folded("body"), name="gin_trgm_ops"), name="message_body_fold_trgm"),
            # The first-reply latency (Health page, /metrics, dispatch.latency) reads the renters'
            # messages of the last hour at every scrape: a range on this, not a scan of all messages.
            models.Index(fields=("direction", "sent_at"), name="message_direction_sent_at"),
        )
        constraints = (
            models.UniqueConstraint(
                fields=("conversation", "platform_message_ref"), name="message_ref_unique_per_conversation"
            ),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="message_direction_valid"),
        )

    def __str__(self) -> str:
        return f"{self.direction} {self.platform_message_ref}"


class Decision(models.Model):
    """What the engine made of one inbound message, and why."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="decisions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="decisions")
    engine = models.CharField(max_length=40)
    engine_detail = models.CharField(max_length=300, blank=True, help_text="E.g. why the LLM engine fell back.")
    intent = models.CharField(max_length=40)
    intents = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=0.0)
    workflow_outcome = models.CharField(max_length=20, choices=WorkflowOutcome.choices)
    showing_state = models.CharField(max_length=20, choices=ShowingState.choices)
    follow_up_stage = models.CharField(max_length=20, choices=FollowUpStage.choices)
    reply_text = models.TextField(blank=True)
    risk_flags = models.JSONField(default=list, blank=True)
    reason_codes = models.JSONField(default=list, blank=True, help_text="Why a human must look, if any.")
    offered_slots = models.JSONField(default=list, blank=True)
    template_key = models.CharField(max_length=80, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    templates_used = models.JSONField(default=list, blank=True, help_text="Every [key, version] that wrote the reply.")
    extracted = models.JSONField(default=dict, blank=True)
    language = models.CharField(
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text="The language the reply was written in (or 'other': held for a person).",
    )
    burst_message_ids = models.JSONField(
        default=list, blank=True, help_text="Every inbound message this decision answered together (its burst)."
    )
    states_before = models.JSONField(
        default=dict, blank=True, help_text="The conversation's states before this decision applied its own."
    )
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A later decision that answered this one's messages together with newer ones.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="decision_confidence_0_1"
            ),
        )

    def __str__(self) -> str:
        return f"decision {self.pk}: {self.intent}"


class TsTzRange(Func):
    """PostgreSQL ``tstzrange(start, end)`` for the no-double-booking constraint."""

    function = "TSTZRANGE"
    output_field = models.Field()


class Showing(models.Model):
    """A booked viewing; an agent is never in two places at once, nor a group over its size (database-enforced).

    Exclusion constraints refuse two booked showings of one agent that overlap unless they are
    the very same showing of the same unit (a group); a trigger refuses a group beyond the unit's
    ``showing_group_size``. Both raise an integrity error that ``showing_book`` turns into
    ``SlotUnavailable`` (HTTP 409 with its reason), whatever path the write came by.
    """

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="showings")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="showings")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="showings"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ShowingStatus.choices, default=ShowingStatus.BOOKED)
    source = models.JSONField(
        default=dict, blank=True, help_text="Where the slot came from (window, agent, assignment)."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # The showing's life after booking (inbox.services.showing_life): each step once, each time kept.
    confirmation_requested_at = models.DateTimeField(null=True, blank=True, help_text="Asked the renter to confirm.")
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="The renter confirmed they are coming.")
    reminder_sent_at = models.DateTimeField(null=True, blank=True, help_text="Reminded the renter a few hours before.")
    outcome_at = models.DateTimeField(null=True, blank=True, help_text="When it was marked completed or no-show.")
    outcome_by = models.CharField(
        max_length=20, blank=True, help_text="Who said how it went: 'agent' (and who, in the audit) or 'renter'."
    )
    no_show_follow_up_at = models.DateTimeField(
        null=True, blank=True, help_text="After a no-show, when the renter was offered new times."
    )
    no_show_offer = models.JSONField(default=list, blank=True, help_text="The slots offered after the no-show.")
    application_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="After the showing, when the application link went to the renter."
    )
    application_nudged_at = models.DateTimeField(null=True, blank=True, help_text="When the one nudge to apply went.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("starts_at",)
        constraints = (
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="showing_positive_length"),
            models.CheckConstraint(condition=Q(status__in=ShowingStatus.values), name="showing_status_valid"),
            # Same agent, overlapping time, different unit: refused. Same unit: a group showing.
            ExclusionConstraint(
                name="showing_agent_no_double_booking",
                expressions=(
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("agent", RangeOperators.EQUAL),
                    ("unit", RangeOperators.NOT_EQUAL),
                ),
                condition=Q(status=ShowingStatus.BOOKED),
            ),
            # ... and of the same unit, only the very same time is shared (a group showing): two
            # overlapping showings of one agent that start or end differently are refused too.
            ExclusionConstraint(
                name="showing_agent_no_overlap_other_start",
                expressions=(
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("agent", RangeOperators.EQUAL),
                    ("starts_at", RangeOperators.NOT_EQUAL),
                ),
                condition=Q(status=ShowingStatus.BOOKED),
            ),
            ExclusionConstraint(
                name="showing_agent_no_overlap_other_end",
                expressions=(
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("agent", RangeOperators.EQUAL),
                    ("ends_at", RangeOperators.NOT_EQUAL),
                ),
                condition=Q(status=ShowingStatus.BOOKED),
            ),
            # The group's size (the unit's showing_group_size) is kept by the trigger
            # inbox_showing_group_size (migration "showing_no_double_booking"): a constraint cannot count.
        )

    def __str__(self) -> str:
        return f"showing {self.pk} unit {self.unit_id} agent {self.agent_id} {self.starts_at:%Y-%m-%d %H:%M}"


# The outbox and the bot's rules live in their own modules; imported here so Django registers them.
from inbox.models.outbox import CannedReply, ConversationNote, OutboundMessage  # noqa: E402
from inbox.models.rules import (  # noqa: E402
    AllowListEntry,
    QuietHours,
    ReplyTemplate,
    ReplyTemplateVersion,
    SuppressionEntry,
)

__all__ = [
    "AgentProfile",
    "AllowListEntry",
    "AvailabilityRule",
    "CannedReply",
    "Conversation",
    "ConversationNote",
    "Decision",
    "Listing",
    "ListingRef",
    "Message",
    "OutboundMessage",
    "QuietHours",
    "ReplyTemplate",
    "ReplyTemplateVersion",
    "Showing",
    "SuppressionEntry",
    "Unit",
    "UnitAssignment",
]
