"""Serializers of the dead letters and of the health board's dispatch figures."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dispatch.models import DeadLetter
from platforms.api.serializers import PlatformHealthSerializer


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


class HealthSerializer(PlatformHealthSerializer):
    """One platform's health roll-up with its open dead letters."""

    open_dead_letters = serializers.IntegerField()
