"""Serializers of platforms, accounts, bot settings, health and the caller's profile."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from platforms.choices import SendMode
from platforms.models import BotSettings, Platform, PlatformAccount

# The global default reads "(global)" in its labels: a distinct choice set for the schema,
# so the account override (SendModeEnum) and the default (DefaultSendModeEnum) never clash.
GLOBAL_SEND_MODE_CHOICES = [(value, f"{label} (global default)") for value, label in SendMode.choices]


class PlatformSerializer(serializers.ModelSerializer[Platform]):
    class Meta:
        model = Platform
        fields = ("id", "slug", "name", "is_active")
        read_only_fields = ("id", "slug", "name")


class PlatformToggleSerializer(serializers.Serializer[Any]):
    """An admin switching a platform on or off, with an optional reason for the audit row."""

    is_active = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PlatformAccountSerializer(serializers.ModelSerializer[PlatformAccount]):
    """An account as the review desk sees it: policy and headline health, never credentials."""

    platform = serializers.CharField(source="platform.slug", read_only=True)
    platform_name = serializers.CharField(source="platform.name", read_only=True)
    platform_is_active = serializers.BooleanField(source="platform.is_active", read_only=True)

    class Meta:
        model = PlatformAccount
        fields = (
            "id",
            "platform",
            "platform_name",
            "platform_is_active",
            "label",
            "is_active",
            "send_mode",
            "is_canary",
            "time_zone",
            "disabled_reason",
            "needs_operator_login",
            "circuit_state",
            "updated_at",
        )
        read_only_fields = fields


class PlatformAccountPolicySerializer(serializers.Serializer[Any]):
    """What an admin may change on an account; ``send_mode`` "" means "follow the global default"."""

    is_active = serializers.BooleanField(required=False)
    send_mode = serializers.ChoiceField(choices=[("", "Global default"), *SendMode.choices], required=False)
    is_canary = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not {"is_active", "send_mode", "is_canary"} & set(attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["send at least one of is_active, send_mode, is_canary"]}
            )
        return attrs


class BotSettingsSerializer(serializers.ModelSerializer[BotSettings]):
    """The global policy row."""

    default_send_mode = serializers.ChoiceField(choices=GLOBAL_SEND_MODE_CHOICES, read_only=True)

    class Meta:
        model = BotSettings
        fields = (
            "default_send_mode",
            "rollout_stage",
            "canary_share_percent",
            "max_auto_send_age_minutes",
            "allowlist_only",
            "updated_at",
        )
        read_only_fields = fields


ROLLOUT_STAGE_READ_ONLY = (
    "the rollout stage changes only through `manage.py rollout promote` and `rollout rollback` "
    "(gates, stage history, audit)"
)


class BotSettingsUpdateSerializer(serializers.Serializer[Any]):
    """What an admin may change globally; every changed field writes one audit row."""

    default_send_mode = serializers.ChoiceField(choices=GLOBAL_SEND_MODE_CHOICES, required=False)
    canary_share_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    max_auto_send_age_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30, required=False)
    allowlist_only = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, dict) and "rollout_stage" in self.initial_data:
            # Only promote and rollback move the stage: they check the gates and keep its history.
            raise serializers.ValidationError({"rollout_stage": [ROLLOUT_STAGE_READ_ONLY]})
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError({"non_field_errors": ["send at least one setting to change"]})
        return attrs


class AccountHealthSerializer(serializers.ModelSerializer[PlatformAccount]):
    """One account's health as the workers last wrote it."""

    class Meta:
        model = PlatformAccount
        fields = (
            "id",
            "label",
            "is_active",
            "disabled_reason",
            "needs_operator_login",
            "circuit_state",
            "circuit_opened_at",
            "last_ingest_success_at",
            "last_send_success_at",
            "last_error_at",
            "last_error_class",
            "ingest_error_count",
            "send_error_count",
            "consecutive_failures",
        )
        read_only_fields = fields


class LocatorInUseSerializer(serializers.Serializer[Any]):
    """One locator of the platform's map: the selector in force and whether the code or an override gives it."""

    key = serializers.CharField()
    origin = serializers.CharField(help_text="code (the locator map) or override (an accepted one)")
    value = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class HealingEventBriefSerializer(serializers.Serializer[Any]):
    """A healing proposal waiting for a person, or one that failed validation (selectors only, no renter text)."""

    id = serializers.IntegerField()
    key = serializers.CharField()
    proposed = serializers.CharField()
    score = serializers.FloatField()
    status = serializers.CharField()
    occurrences = serializers.IntegerField()
    held_sends = serializers.IntegerField()
    last_seen_at = serializers.DateTimeField()


class HealingHealthSerializer(serializers.Serializer[Any]):
    open = serializers.IntegerField()
    failed = serializers.IntegerField()
    held_sends = serializers.IntegerField()
    recent = HealingEventBriefSerializer(many=True)


class PlatformHealthSerializer(serializers.Serializer[Any]):
    """One platform's roll-up and its accounts (only those the caller may see)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    last_ingest_success_at = serializers.DateTimeField(allow_null=True)
    last_send_success_at = serializers.DateTimeField(allow_null=True)
    ingest_error_count = serializers.IntegerField()
    send_error_count = serializers.IntegerField()
    open_circuits = serializers.IntegerField()
    accounts_needing_login = serializers.IntegerField()
    accounts_disabled = serializers.IntegerField()
    accounts = AccountHealthSerializer(many=True)
    locators = LocatorInUseSerializer(many=True)
    healing = HealingHealthSerializer(allow_null=True)


class MeSerializer(serializers.Serializer[Any]):
    """The caller: name, role and the time zone the UI shows times in (null: the browser's)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()
    timezone = serializers.CharField(allow_null=True)
