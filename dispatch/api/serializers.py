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
    ingest_lag_seconds = serializers.FloatField(allow_null=True)
    jobs_waiting_ingest = serializers.IntegerField()
    jobs_waiting_send = serializers.IntegerField()
    oldest_job_wait_seconds = serializers.FloatField(allow_null=True)
    send_queue_oldest_seconds = serializers.FloatField(allow_null=True)
    replies_unconfirmed_on_stopped = serializers.IntegerField()


class QueueDepthSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    depth = serializers.IntegerField()


class JobsWaitingSerializer(serializers.Serializer[Any]):
    stage = serializers.CharField()
    waiting = serializers.IntegerField()
    oldest_wait_seconds = serializers.FloatField(allow_null=True)


class FirstReplySerializer(serializers.Serializer[Any]):
    """A platform's (or the fleet's, ``all``) first-reply latency over the window, in seconds."""

    platform = serializers.CharField()
    window_s = serializers.IntegerField()
    inbound = serializers.IntegerField()
    unanswered = serializers.IntegerField()
    seen_count = serializers.IntegerField()
    seen_p50 = serializers.FloatField(allow_null=True)
    seen_p95 = serializers.FloatField(allow_null=True)
    seen_within_60s = serializers.IntegerField()
    drafted_count = serializers.IntegerField()
    drafted_p50 = serializers.FloatField(allow_null=True)
    drafted_p95 = serializers.FloatField(allow_null=True)
    drafted_within_60s = serializers.IntegerField()
    sent_count = serializers.IntegerField()
    sent_p50 = serializers.FloatField(allow_null=True)
    sent_p95 = serializers.FloatField(allow_null=True)
    sent_within_60s = serializers.IntegerField()


class QueueFiguresSerializer(serializers.Serializer[Any]):
    """The broker's queue depths, the account jobs waiting and the first-reply latency, fleet-wide."""

    broker_reachable = serializers.BooleanField()
    queues = QueueDepthSerializer(many=True)
    jobs = JobsWaitingSerializer(many=True)
    first_reply = FirstReplySerializer(many=True)
