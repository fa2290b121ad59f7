"""Serializers of the outbox (drafts and sent replies) and the dead letters."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch.models import DeadLetter
from inbox.models import OutboundMessage


def split_reason(reason: str) -> dict[str, str]:
    """Split a stored hold reason (``guardrail:<category>: <why>`` or ``code[:detail]``) for display."""
    if reason.startswith("guardrail:"):
        category, _, why = reason[len("guardrail:") :].partition(": ")
        return {"kind": "guardrail", "code": category, "text": why or category}
    code, _, detail = reason.partition(":")
    return {"kind": "hold", "code": code, "text": detail.strip() or code}


class ReasonSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["guardrail", "hold"])
    code = serializers.CharField()
    text = serializers.CharField()


class OutboundSerializer(serializers.ModelSerializer[OutboundMessage]):
    """A reply: its text, why it is held, and exactly where its delivery stands."""

    platform = serializers.CharField(source="account.platform.slug", read_only=True)
    account_label = serializers.CharField(source="account.label", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    reasons = serializers.SerializerMethodField()
    approved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    hold_to_answer_seconds = serializers.SerializerMethodField()

    class Meta:
        model = OutboundMessage
        fields = (
            "id",
            "conversation",
            "account",
            "account_label",
            "platform",
            "decision",
            "in_reply_to",
            "purpose",
            "source",
            "status",
            "status_label",
            "body",
            "original_body",
            "hold_reasons",
            "reasons",
            "shadow_would_send",
            "created_by",
            "approved_by",
            "approved_at",
            "rejected_reason",
            "queued_at",
            "sending_started_at",
            "sent_at",
            "platform_message_ref",
            "attempts",
            "last_error_class",
            "last_error",
            "created_at",
            "updated_at",
            "hold_to_answer_seconds",
        )
        read_only_fields = fields

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, obj: OutboundMessage) -> list[dict[str, str]]:
        return [split_reason(str(r)) for r in obj.hold_reasons or []]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_hold_to_answer_seconds(self, obj: OutboundMessage) -> int | None:
        """Seconds from the draft's creation (the hold) to a person's approval; None until answered."""
        if obj.approved_at is None or obj.source != "bot":
            return None
        return max(0, int((obj.approved_at - obj.created_at).total_seconds()))


class OutboundEditSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=4000, allow_blank=False, trim_whitespace=True)


class OutboundApproveSerializer(serializers.Serializer[Any]):
    """Approve as is, or with a last edit of the text."""

    body = serializers.CharField(max_length=4000, required=False, allow_blank=False, trim_whitespace=True)


class OutboundRejectSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, allow_blank=False, trim_whitespace=True)


class DeadLetterSerializer(serializers.ModelSerializer[DeadLetter]):
    """A job that gave up: where, why, how often it tried, and whether an admin acted."""

    account_label = serializers.CharField(source="account.label", read_only=True, default="")
    conversation = serializers.IntegerField(source="outbound.conversation_id", read_only=True, default=None)
    retried_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DeadLetter
        fields = (
            "id",
            "platform",
            "account",
            "account_label",
            "outbound",
            "conversation",
            "stage",
            "error_class",
            "error_message",
            "attempts",
            "status",
            "created_at",
            "retried_at",
            "retried_by",
        )
        read_only_fields = fields


class DeadLetterDiscardSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, allow_blank=False, trim_whitespace=True)


class GuardrailErrorSerializer(serializers.Serializer[Any]):
    """A refused text: the message, the field and the guardrail reasons."""

    detail = serializers.CharField()
    code = serializers.CharField()
    field = serializers.CharField(required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
