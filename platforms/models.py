"""Platforms, the accounts lease-bot runs on them, and the global bot settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from leasebot.core.exceptions import ValidationFailed
from leasebot.core.validators import validate_timezone
from platforms.choices import CircuitState, HealingStatus, LoginMethod, PlatformSlug, RolloutStage, SendMode
from platforms.credentials import REFERENCE_PATTERN, validate_credential_ref
from platforms.hosts import base_url_refusal


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

    def clean(self) -> None:
        refusal = base_url_refusal(self.slug, self.default_base_url)
        if refusal is not None:
            raise ValidationError({"default_base_url": f"This URL is not allowed: {refusal}."})


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
        db_default="",  # Rows written by code that predates the field (a rolling deploy) get it too.
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

    def clean(self) -> None:
        """Refuse a base URL outside the platform's hosts (a worker types the password there)."""
        if self.platform_id is None:
            return
        refusal = base_url_refusal(self.platform.slug, self.base_url)
        if refusal is not None:
            raise ValidationError({"base_url": f"This URL is not allowed: {refusal}."})

    @property
    def effective_base_url(self) -> str:
        """Return the URL the connector opens: the account's, else the platform's."""
        return self.base_url or self.platform.default_base_url


class BrowserSession(models.Model):
    """An account's browser session (cookies and local storage), sealed, for any worker on any machine.

    ``sealed`` is Fernet ciphertext under ``LEASEBOT_SESSION_KEY`` (platforms/sessions.py);
    ``digest`` a keyed hash of the plain state, so an unchanged session is not written again.
    """

    account = models.OneToOneField(PlatformAccount, on_delete=models.CASCADE, primary_key=True, related_name="+")
    sealed = models.BinaryField()
    digest = models.CharField(max_length=64)
    saved_by = models.CharField(max_length=128, blank=True, help_text="The worker host that saved it last.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"browser session of account {self.account_id}"


#: How long a thread's preview is kept after ingest last recorded it. Ingest reads from a little
#: before its cursor (``CURSOR_OVERLAP``, 30 minutes) and the cursor is the newest message
#: stored, so a row older than that is passed over without its preview; a preview older than
#: this saves an opening only for a thread quiet for two weeks on an account quiet as long.
#: Dropping one costs one more opening of its thread, never a message.
THREAD_PREVIEW_KEEP = timedelta(days=14)
#: At most this many expired previews are deleted at the start of one read (the rest at the next).
THREAD_PREVIEW_PRUNE_BATCH = 500


class ThreadPreview(models.Model):
    """What an account's inbox row showed of one thread when ingest last stored all of that thread.

    ``signature`` is the connector's digest of the row (the last message's id where the site
    shows it, else the row's time at its latest and the sender's name, only once the
    platform's visibility window has passed beyond that time: ``row_signature`` in
    ``platforms.connectors.web.read``). While the row still shows the same signature the
    thread holds nothing new, so ingest does not open it again; it is written only after the
    thread's messages are stored. ``thread_ref`` is as long as a conversation's.
    """

    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="+")
    thread_ref = models.CharField(max_length=200)
    signature = models.CharField(max_length=64)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("account", "thread_ref"), name="thread_preview_one_per_account_thread"),
        )

    def __str__(self) -> str:
        return f"preview of thread {self.thread_ref} on account {self.account_id}"


class LocatorFingerprint(models.Model):
    """What one locator of an account matched last on a live page, without its text (healing's reference).

    ``data`` is a :class:`platforms.connectors.healing.Fingerprint` as JSON (tag, stable
    attributes, text shape, position, parent chain); ``digest`` its hash, so a cycle that
    sees the same element writes nothing.
    """

    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128, help_text="The locator key, e.g. reply.body or thread.messages.date.")
    data = models.JSONField()
    digest = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("account", "key"), name="fingerprint_one_per_account_key"),)

    def __str__(self) -> str:
        return f"{self.key} on account {self.account_id}"


class HealingEvent(models.Model):
    """A locator that missed and the element healing found in its place: a proposal for a person.

    One row per (platform, locator key, proposed selector) while it is open: a healing seen
    again bumps ``occurrences`` and ``last_seen_at``. ``evidence`` is redacted (skeletons of
    the old and new element, per-part scores, the page's path), never a renter's text.
    """

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(PlatformAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, help_text="element, group (repeated items) or field (inside an item).")
    old_locator = models.TextField(help_text="The candidates that missed, in order, one a line.")
    proposed = models.CharField(max_length=500, help_text="The CSS selector healing found.")
    score = models.FloatField()
    evidence = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=HealingStatus.choices, default=HealingStatus.OPEN)
    occurrences = models.PositiveIntegerField(default=1)
    held_sends = models.PositiveIntegerField(default=0, help_text="Sends that waited for this proposal.")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was accepted, rejected or failed.")

    class Meta:
        ordering = ("-last_seen_at",)
        constraints = (
            models.CheckConstraint(condition=Q(status__in=HealingStatus.values), name="healing_status_valid"),
            models.UniqueConstraint(
                fields=("platform", "key", "proposed"),
                condition=Q(status="open"),
                name="healing_one_open_per_proposal",
            ),
        )
        indexes = (models.Index(fields=("platform", "status")),)

    def __str__(self) -> str:
        return f"{self.key} -> {self.proposed} ({self.score:.2f}, {self.status})"


class LocatorOverride(models.Model):
    """A platform's locator as data: tried before the code's candidates by every worker's next job.

    Versioned: a new value for a key is a new row with the next ``version``; exactly one
    row per (platform, key) is ``active``. Reverting deactivates it (the previous active
    version, if any, comes back). Made by accepting a healing proposal or by hand.
    """

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=500)
    version = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    proposal = models.ForeignKey(HealingEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version active before.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()

    class Meta:
        ordering = ("platform", "key", "-version")
        constraints = (
            models.UniqueConstraint(fields=("platform", "key", "version"), name="override_version_unique"),
            models.UniqueConstraint(
                fields=("platform", "key"), condition=Q(active=True), name="override_one_active_per_key"
            ),
        )

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.key} v{self.version} = {self.value}"


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
