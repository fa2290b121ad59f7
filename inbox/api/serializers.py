"""Serializers of conversations (list and detail), notes, canned replies and review figures.

The outbox's serializers and views are in ``inbox.api.outbox``.

Renter text goes out as plain JSON strings; the UI puts it on the page with
``textContent`` only, so no renter markup is ever interpreted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox import holds
from inbox.api.outbox import OutboundSerializer
from inbox.choices import ConversationStatus, ShowingStatus
from inbox.models import CannedReply, Conversation, ConversationNote, Decision, Message, Showing
from leasebot.core.fields import ReplyTextField, StrictCharField


class MessageSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = ("id", "direction", "platform_message_ref", "sender_name", "body", "sent_at", "sent_by_bot")
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer[Decision]):
    """What the engine made of a message and why a human must look (reason codes)."""

    class Meta:
        model = Decision
        fields = (
            "id",
            "message",
            "engine",
            "engine_detail",
            "intent",
            "intents",
            "confidence",
            "workflow_outcome",
            "showing_state",
            "follow_up_stage",
            "reply_text",
            "risk_flags",
            "reason_codes",
            "offered_slots",
            "template_key",
            "template_version",
            "created_at",
        )
        read_only_fields = fields


class ShowingSerializer(serializers.ModelSerializer[Showing]):
    agent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Showing
        fields = (
            "id",
            "unit",
            "agent",
            "starts_at",
            "ends_at",
            "status",
            "source",
            "cancelled_at",
            "cancel_reason",
            "confirmation_requested_at",
            "confirmed_at",
            "reminder_sent_at",
            "outcome_at",
            "outcome_by",
            "no_show_follow_up_at",
            "application_sent_at",
            "application_nudged_at",
        )
        read_only_fields = fields


class SuggestedReplySerializer(serializers.Serializer[Any]):
    """A message for the renter the page offers the agent (never sent without the agent's Send)."""

    text = serializers.CharField(read_only=True)
    template = serializers.CharField(read_only=True, help_text="The reply template's key.")
    version = serializers.IntegerField(read_only=True)
    language = serializers.CharField(read_only=True, help_text="en or es: the renter's language.")
    missing = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Template variables with no value (left empty)."
    )


class ShowingChangeSerializer(ShowingSerializer):
    """A showing after an agent booked, moved or cancelled it, with the message suggested for the renter."""

    suggested_reply = SuggestedReplySerializer(read_only=True, allow_null=True)
    suggested_reply_note = serializers.CharField(
        read_only=True, help_text="Why nothing is suggested (no template in the renter's language, opted out), or ''."
    )

    class Meta:
        model = Showing
        fields: tuple[str, ...] = (*ShowingSerializer.Meta.fields, "suggested_reply", "suggested_reply_note")
        read_only_fields = fields


class ShowingOutcomeSerializer(serializers.Serializer[Any]):
    """How a showing of the conversation went, as its agent marks it."""

    showing = serializers.IntegerField(min_value=1)
    outcome = serializers.ChoiceField(choices=[ShowingStatus.COMPLETED, ShowingStatus.NO_SHOW])


class ShowingCancelSerializer(serializers.Serializer[Any]):
    """Which showing of the conversation to cancel, and why (kept on the showing)."""

    showing = serializers.IntegerField(min_value=1)
    reason = StrictCharField(max_length=300, required=False, allow_blank=True, default="", trim_whitespace=True)


#: How far from now a showing's start may be named: the free slots the panel lists reach 14 days,
#: and a start past either bound can never be free. Without a bound the calendar's ends overflowed
#: (a 500) adding the showing's length or turning the time into the unit's zone. The day before
#: now stays open so a time that just passed while the page was open is a 409 ("no longer
#: available"), the page's real situation, not bad input.
SHOWING_START_PAST = dt.timedelta(days=1)
SHOWING_START_AHEAD = dt.timedelta(days=365)


class ShowingBookSerializer(serializers.Serializer[Any]):
    """A free time from ``slots/``: its start (ISO 8601 with its offset) and the agent who shows it."""

    starts_at = serializers.DateTimeField()
    agent = serializers.IntegerField(min_value=1)

    def validate_starts_at(self, value: dt.datetime) -> dt.datetime:
        now = timezone.now()
        if value < now - SHOWING_START_PAST:
            raise serializers.ValidationError("is in the past: pick one of the free times")
        if value > now + SHOWING_START_AHEAD:
            raise serializers.ValidationError("must be within a year from now: pick one of the free times")
        return value


class ShowingRescheduleSerializer(ShowingBookSerializer):
    """The booked showing to move, and the free time it moves to."""

    showing = serializers.IntegerField(min_value=1)


class SlotOptionSerializer(serializers.Serializer[Any]):
    """A time the renter can be shown the unit now, in the unit's zone, and whether the bot offered it."""

    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    slot_label = serializers.CharField(help_text="The time as the renter reads it, in the unit's zone.")
    timezone = serializers.CharField()
    agent = serializers.IntegerField()
    agent_name = serializers.CharField()
    group = serializers.BooleanField()
    offered = serializers.BooleanField()


class PetsField(ReplyTextField):
    """The renter's pets as words ("none", "a cat"); one line, since replies quote it."""

    default_error_messages = {"one_line": "must be one line"}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if "\n" in value or "\t" in value:
            self.fail("one_line")
        return value


#: How far from today a move-in date may be (either side): a typo guard, not a rule of the unit.
MOVE_IN_RANGE_DAYS = 5 * 366


class QualificationValuesSerializer(serializers.Serializer[Any]):
    """The answers to set; ``null`` clears one. Unknown keys are refused."""

    move_in_date = serializers.DateField(required=False, allow_null=True)
    budget = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100_000)
    occupants = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=20)
    pets = PetsField(required=False, allow_null=True, allow_blank=False, max_length=100, trim_whitespace=True)
    lease_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=60)

    def validate_move_in_date(self, value: Any) -> Any:
        today = timezone.localdate()
        if value is not None and abs((value - today).days) > MOVE_IN_RANGE_DAYS:
            raise serializers.ValidationError("must be within five years of today")
        return value

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError({key: ["not a qualification answer"] for key in unknown})
        return dict(super().to_internal_value(data))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("name at least one answer to change")
        return attrs


class QualificationSerializer(serializers.Serializer[Any]):
    """``changes``: the answers to set; ``seen``: those answers as the page showed them (absent: not set).

    An answer that changed since (the renter said something new, another agent edited it) is a 409.
    """

    changes = QualificationValuesSerializer()
    seen = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False, default=dict)

    def validate_seen(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(QualificationValuesSerializer().fields))
        if unknown:
            raise serializers.ValidationError(f"not a qualification answer: {', '.join(unknown)}")
        return value


class FollowUpsSerializer(serializers.Serializer[Any]):
    """``paused``: true pauses the bot's follow-ups here, false resumes them."""

    paused = serializers.BooleanField()


class LeadSerializer(serializers.ModelSerializer[Conversation]):
    """The lead panel's own state after a change: the answers and the follow-up schedule."""

    follow_ups_paused_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Conversation
        fields = (
            "id",
            "renter_name",
            "lead_profile",
            "follow_up_stage",
            "next_follow_up_at",
            "follow_ups_paused_at",
            "follow_ups_paused_by",
        )
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer[ConversationNote]):
    author: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # A note is read by agents only: any text, but a JSON string.
    body = StrictCharField(max_length=4000, trim_whitespace=True)

    class Meta:
        model = ConversationNote
        fields = ("id", "author", "body", "created_at")
        read_only_fields = ("id", "author", "created_at")


class ConversationListSerializer(serializers.ModelSerializer[Conversation]):
    """A conversation as a list row: who, where, what state, who holds it, what waits."""

    platform = serializers.CharField(source="account.platform.slug", read_only=True)
    account_label = serializers.CharField(source="account.label", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None)
    listing_title = serializers.SerializerMethodField()
    assigned_agent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    default_agent = serializers.CharField(read_only=True, allow_null=True)
    taken_over_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    last_inbound_body = serializers.CharField(read_only=True, allow_null=True)
    waiting_outbound = serializers.IntegerField(read_only=True)
    status = serializers.SerializerMethodField()
    status_changed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    human_reason_codes = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields: tuple[str, ...] = (
            "id",
            "account",
            "account_label",
            "platform",
            "thread_ref",
            "renter_name",
            "unit",
            "unit_name",
            "listing_title",
            "workflow_outcome",
            "showing_state",
            "follow_up_stage",
            "human_required",
            "human_reason",
            "human_required_since",
            "assigned_agent",
            "default_agent",
            "taken_over_by",
            "opted_out",
            "last_inbound_at",
            "last_outbound_at",
            "last_inbound_body",
            "waiting_outbound",
            "status",
            "snoozed_until",
            "status_changed_at",
            "status_changed_by",
            "human_reason_codes",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(serializers.ChoiceField(choices=ConversationStatus.choices))
    def get_status(self, obj: Conversation) -> str:
        """The status as agents see it now: a snooze that has run out reads as open."""
        return str(obj.current_status())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_human_reason_codes(self, obj: Conversation) -> list[str]:
        return [str(r.code) for r in holds.load(obj.human_reasons)]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_listing_title(self, obj: Conversation) -> str | None:
        listing = obj.unit.listing if obj.unit is not None else obj.listing
        return listing.title if listing is not None else None


class UnitBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    timezone = serializers.CharField()
    listing_title = serializers.CharField(source="listing.title")


class UnitOptionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    listing_title = serializers.CharField(source="listing.title")
    address = serializers.CharField()


class OtherThreadSerializer(serializers.Serializer[Any]):
    """Another conversation of the same renter on the same platform."""

    id = serializers.IntegerField()
    account_label = serializers.CharField(source="account.label")
    unit_name = serializers.CharField(source="unit.name", default=None)
    listing_title = serializers.SerializerMethodField()
    workflow_outcome = serializers.CharField()
    status = serializers.SerializerMethodField()
    last_inbound_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_listing_title(self, obj: Conversation) -> str | None:
        return obj.unit.listing.title if obj.unit is not None else None

    @extend_schema_field(serializers.CharField())
    def get_status(self, obj: Conversation) -> str:
        return str(obj.current_status())


class HistorySerializer(serializers.Serializer[Any]):
    """One audited change of the conversation: who (a person, or ``system:<part>``), what, when, why."""

    action = serializers.CharField()
    actor_label = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class ConversationDetailSerializer(ConversationListSerializer):
    """A conversation with its thread, decisions and why, slots, showings, replies and notes."""

    linked_unit = serializers.SerializerMethodField()
    messages = MessageSerializer(source="thread", many=True, read_only=True)
    decisions = DecisionSerializer(source="recent_decisions", many=True, read_only=True)
    offered_slots = serializers.SerializerMethodField()
    showings = ShowingSerializer(source="showing_rows", many=True, read_only=True)
    outbound = OutboundSerializer(source="outbound_rows", many=True, read_only=True)
    notes = NoteSerializer(source="note_rows", many=True, read_only=True)
    other_threads = OtherThreadSerializer(many=True, read_only=True)
    history = HistorySerializer(many=True, read_only=True)
    account_time_zone = serializers.CharField(source="account.time_zone", read_only=True)
    follow_ups_paused_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta(ConversationListSerializer.Meta):
        fields = (
            *ConversationListSerializer.Meta.fields,
            "account_time_zone",
            "next_follow_up_at",
            "follow_ups_paused_at",
            "follow_ups_paused_by",
            "renter_handle",
            "lead_profile",
            "other_threads",
            "history",
            "linkage_status",
            "listing_ref_seen",
            "linked_unit",
            "messages",
            "decisions",
            "offered_slots",
            "showings",
            "outbound",
            "notes",
        )
        read_only_fields = fields

    @extend_schema_field(UnitBriefSerializer(allow_null=True))
    def get_linked_unit(self, obj: Conversation) -> dict[str, Any] | None:
        return UnitBriefSerializer(obj.unit).data if obj.unit is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_offered_slots(self, obj: Conversation) -> list[dict[str, Any]]:
        """Return the slots of the latest decision that offered any (with their source)."""
        for decision in obj.recent_decisions:  # type: ignore[attr-defined]
            if decision.offered_slots:
                return list(decision.offered_slots)
        return []


class ReplySerializer(serializers.Serializer[Any]):
    body = ReplyTextField(max_length=4000, allow_blank=False, trim_whitespace=True)


class ResolveSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


class SnoozeSerializer(serializers.Serializer[Any]):
    """``until``: when the conversation comes back (ISO 8601 with its offset); the renter may wake it sooner."""

    until = serializers.DateTimeField()
    reason = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


class LinkUnitSerializer(serializers.Serializer[Any]):
    """``unit``: a unit id, or null to unlink."""

    unit = serializers.IntegerField(allow_null=True, min_value=1)


class AssignSerializer(serializers.Serializer[Any]):
    """``agent``: a user id, or null to give the conversation back to the unit's primary agent."""

    agent = serializers.IntegerField(allow_null=True, min_value=1)


class AgentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()


class GuardrailCheckSerializer(serializers.Serializer[Any]):
    """A text to check; ``conversation`` lets the prompt-injection rule compare with the renter's last message."""

    text = StrictCharField(max_length=4000, allow_blank=True, trim_whitespace=False)
    conversation = serializers.IntegerField(required=False, min_value=1)


class GuardrailFlagSerializer(serializers.Serializer[Any]):
    category = serializers.CharField()
    reason = serializers.CharField()
    excerpt = serializers.CharField()


class GuardrailVerdictSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    flags = GuardrailFlagSerializer(many=True)


class CannedReplySerializer(serializers.ModelSerializer[CannedReply]):
    account_label = serializers.CharField(source="account.label", read_only=True, default=None)
    platform = serializers.CharField(source="platform.slug", read_only=True, default=None)

    class Meta:
        model = CannedReply
        fields = ("id", "title", "body", "account", "account_label", "platform", "is_active", "updated_at")
        read_only_fields = fields


class CannedReplyWriteSerializer(serializers.Serializer[Any]):
    """``account`` or ``platform`` (a slug) scopes the reply; neither makes it global."""

    title = StrictCharField(max_length=120)
    body = ReplyTextField(max_length=4000)
    account = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    platform = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False)


class CannedReplyPatchSerializer(serializers.Serializer[Any]):
    title = StrictCharField(max_length=120, required=False)
    body = ReplyTextField(max_length=4000, required=False)
    is_active = serializers.BooleanField(required=False)


class QueueItemSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["guardrail_hold", "draft", "escalation", "dead_letter"])
    key = serializers.CharField()
    conversation = serializers.IntegerField(allow_null=True)
    outbound = serializers.IntegerField(allow_null=True)
    dead_letter = serializers.IntegerField(allow_null=True)
    platform = serializers.CharField()
    account = serializers.IntegerField(allow_null=True)
    account_label = serializers.CharField()
    renter_name = serializers.CharField()
    preview = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    reason_codes = serializers.ListField(child=serializers.CharField())
    unit = serializers.IntegerField(allow_null=True)
    unit_name = serializers.CharField()
    status = serializers.CharField()
    waiting_since = serializers.DateTimeField()
    version = serializers.CharField(help_text="Send it back with a bulk action: the item is skipped if it changed.")
    last_message = serializers.CharField(help_text="The renter's last message in the conversation.")
    assignee = serializers.CharField(
        help_text="Who holds the conversation, in words ('taken over by ann', 'assigned to ann', 'the unit's agent, ann'); empty: nobody."
    )


class ReasonCountSerializer(serializers.Serializer[Any]):
    """How many queue items are held for one reason; ``text`` is the reason in words."""

    code = serializers.CharField()
    text = serializers.CharField()
    count = serializers.IntegerField()


class QueueCountsSerializer(serializers.Serializer[Any]):
    guardrail_hold = serializers.IntegerField()
    draft = serializers.IntegerField()
    escalation = serializers.IntegerField()
    dead_letter = serializers.IntegerField()
    total = serializers.IntegerField()


class QueueSerializer(serializers.Serializer[Any]):
    counts = QueueCountsSerializer()
    reason_counts = ReasonCountSerializer(many=True)
    items = QueueItemSerializer(many=True)


class HoldToAnswerSerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField()
    count = serializers.IntegerField()
    median_seconds = serializers.IntegerField(allow_null=True)
    p90_seconds = serializers.IntegerField(allow_null=True)


class ReviewCountsSerializer(serializers.Serializer[Any]):
    needs_human = serializers.IntegerField()
    waiting_replies = serializers.IntegerField()
    escalations = serializers.IntegerField()
    dead_letters = serializers.IntegerField()
    mine = serializers.IntegerField()
    hold_to_answer = HoldToAnswerSerializer()
