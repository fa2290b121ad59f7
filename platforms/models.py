"""Platforms, the accounts lease-bot runs on them, and the global bot settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from leasebot.core.exceptions import ValidationFailed
from leasebot.core.validators import validate_timezone
from platforms.choices import CircuitState, LoginMethod, PlatformSlug, RolloutStage, SendMode
from platforms.credentials import REFERENCE_PATTERN, validate_credential_ref


class Platform(models.Model):
    """One of the five rental platforms; switching it off stops every account on it."""

    slug = models.CharField(max_length=32, unique=True, choices=PlatformSlug.choices)
    name = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    default_base_url = models.URLField(blank=True, help_text="Used by accounts that leave base URL empty.")

    class Meta:
        ordering = ("slug",)
        constraints = (models.CheckConstraint(condition=Q(slug__in=PlatformSlug.values), name="platform_slug_known"),)
        permissions = (("toggle_platform", "Can switch a platform on or off"),)

    def __str__(self) -> str:
        return self.name


class PlatformAccount(models.Model):
    """A leasing team's login on one platform, with its policy and health."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="accounts")
    label = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    send_mode = models.CharField(
        max_length=16,
        choices=SendMode.choices,
        blank=True,
        default="",
        help_text="Empty: follow the global default.",
    )
    username = models.CharField(max_length=254, help_text="The login name or e-mail on the platform.")
    credential_ref = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_credential_ref],
        help_text="A reference such as env:SPAREROOM_PASSWORD, never the password itself.",
    )
    login_method = models.CharField(max_length=16, choices=LoginMethod.choices, default=LoginMethod.PASSWORD)
    mailbox_ref = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_credential_ref],
        help_text="For e-mailed login codes: reference to 'imap://user:password@host:port/folder'.",
    )
    base_url = models.URLField(blank=True, help_text="Empty: the platform's default base URL.")
    is_canary = models.BooleanField(default=False, help_text="Auto-sends during the canary stage.")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_timezone],
        help_text=(
            "The zone the account's user set on the platform (IANA name, e.g. America/Los_Angeles): the site "
            "prints local times in it. Empty: the platform's default zone."
        ),
    )

    # Health, written by the workers.
    last_ingest_success_at = models.DateTimeField(null=True, blank=True)
    last_send_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error_class = models.CharField(max_length=64, blank=True)
    ingest_error_count = models.PositiveIntegerField(default=0)
    send_error_count = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    circuit_state = models.CharField(max_length=16, choices=CircuitState.choices, default=CircuitState.CLOSED)
    circuit_opened_at = models.DateTimeField(null=True, blank=True)
    needs_operator_login = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=300, blank=True)
    ingest_cursor = models.DateTimeField(
        null=True, blank=True, help_text="Newest message time seen; the next ingest reads from a little before it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("platform__slug", "label")
        constraints = (
            models.UniqueConstraint(fields=("platform", "label"), name="account_label_unique_per_platform"),
            models.CheckConstraint(condition=Q(send_mode__in=["", *SendMode.values]), name="account_send_mode_valid"),
            models.CheckConstraint(
                condition=Q(credential_ref="") | Q(credential_ref__regex=REFERENCE_PATTERN),
                name="account_credential_is_reference",
            ),
            models.CheckConstraint(
                condition=Q(mailbox_ref="") | Q(mailbox_ref__regex=REFERENCE_PATTERN),
                name="account_mailbox_is_reference",
            ),
            models.CheckConstraint(
                condition=Q(circuit_state__in=CircuitState.values), name="account_circuit_state_valid"
            ),
            models.CheckConstraint(condition=Q(login_method__in=LoginMethod.values), name="account_login_method_valid"),
        )
        permissions = (
            ("access_platformaccount", "Can work on this account's conversations"),
            ("toggle_platformaccount", "Can switch an account on or off and change its send mode"),
        )

    def __str__(self) -> str:
        return f"{self.platform.slug}/{self.label}"

    @property
    def effective_base_url(self) -> str:
        """Return the URL the connector opens: the account's, else the platform's."""
        return self.base_url or self.platform.default_base_url


class BotSettings(models.Model):
    """The single row of global policy: default send mode and rollout stage."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    default_send_mode = models.CharField(max_length=16, choices=SendMode.choices, default=SendMode.DRAFT_ONLY)
    rollout_stage = models.CharField(max_length=16, choices=RolloutStage.choices, default=RolloutStage.SHADOW)
    canary_share_percent = models.PositiveSmallIntegerField(
        default=0, help_text="In canary, also auto-send for this sticky share of conversations on other accounts."
    )
    max_auto_send_age_minutes = models.PositiveIntegerField(
        default=0, help_text="Never auto-send a reply to an inbound older than this (0: no limit)."
    )
    allowlist_only = models.BooleanField(
        default=False, help_text="First-live safety: auto-send only to allow-listed renters or listings."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "bot settings"
        verbose_name_plural = "bot settings"
        constraints = (
            models.CheckConstraint(condition=Q(id=1), name="botsettings_single_row"),
            models.CheckConstraint(
                condition=Q(default_send_mode__in=SendMode.values), name="botsettings_send_mode_valid"
            ),
            models.CheckConstraint(condition=Q(rollout_stage__in=RolloutStage.values), name="botsettings_stage_valid"),
            models.CheckConstraint(condition=Q(canary_share_percent__lte=100), name="botsettings_share_percent"),
        )

    def __str__(self) -> str:
        return f"default {self.default_send_mode}, stage {self.rollout_stage}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # One row only: refused here, in clean() for forms, and by the CHECK constraint.
        if self.id != 1 or (self._state.adding and BotSettings.objects.filter(id=1).exists()):
            raise ValidationFailed("there is one bot settings row only; edit the existing one")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self._state.adding and BotSettings.objects.exists():
            raise ValidationError("There is one bot settings row only; edit the existing one.")

    @classmethod
    def load(cls) -> BotSettings:
        """Return the row, creating it with safe defaults (draft-only, shadow) if missing."""
        obj, _ = cls.objects.get_or_create(id=1)
        return obj
