"""What the bot may say, to whom and when: reply templates (with their versions), the suppression
and allow lists, and each account's quiet hours.

Split from ``inbox.models`` (which imports it, so Django registers the models with the app);
the tables and migrations are unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from inbox.choices import AllowListKind, Language, TemplateKey
from inbox.templating import validate_template_body
from leasebot.core.validators import validate_timezone

#: The languages a template may be written in: those the bot answers in (``inbox.language.SUPPORTED``).
TEMPLATE_LANGUAGES = [(Language.EN.value, Language.EN.label), (Language.ES.value, Language.ES.label)]


class ReplyTemplate(models.Model):
    """One reply text admins edit, for one key (mostly an intent), optionally per platform or account.

    The most specific active template wins: account, then platform, then global. Every
    change of the body raises ``version`` and keeps the old text as a ``ReplyTemplateVersion``,
    so a decision can always say which words wrote its reply.
    """

    key = models.CharField(max_length=40, choices=TemplateKey.choices)
    language = models.CharField(
        max_length=8,
        choices=TEMPLATE_LANGUAGES,
        default=Language.EN,
        help_text="The language of the text: a renter gets the template of the language they write in.",
    )
    platform = models.ForeignKey(
        "platforms.Platform", null=True, blank=True, on_delete=models.CASCADE, related_name="reply_templates"
    )
    account = models.ForeignKey(
        "platforms.PlatformAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="reply_templates"
    )
    body = models.TextField(validators=[validate_template_body])
    is_active = models.BooleanField(default=True)
    auto_send = models.BooleanField(
        default=True, help_text="Off: a reply using this template is always held for an agent (automation rule)."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("key", "platform_id", "account_id")
        constraints = (
            models.CheckConstraint(condition=Q(key__in=TemplateKey.values), name="reply_template_key_valid"),
            models.CheckConstraint(
                condition=Q(account__isnull=True) | Q(platform__isnull=True), name="reply_template_one_scope"
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _label in TEMPLATE_LANGUAGES]),
                name="reply_template_language_valid",
            ),
            models.UniqueConstraint(
                fields=("key", "language"),
                condition=Q(platform__isnull=True, account__isnull=True, is_active=True),
                name="reply_template_one_active_global",
            ),
            models.UniqueConstraint(
                fields=("key", "language", "platform"),
                condition=Q(platform__isnull=False, is_active=True),
                name="reply_template_one_active_per_platform",
            ),
            models.UniqueConstraint(
                fields=("key", "language", "account"),
                condition=Q(account__isnull=False, is_active=True),
                name="reply_template_one_active_per_account",
            ),
        )

    def __str__(self) -> str:
        scope = (
            f"account {self.account_id}"
            if self.account_id
            else f"platform {self.platform_id}"
            if self.platform_id
            else "global"
        )
        return f"{self.key} [{self.language}] ({scope}) v{self.version}"

    def clean(self) -> None:
        if self.account_id and self.platform_id:
            raise ValidationError("Scope a template to a platform or to an account, not both.")


class ReplyTemplateVersion(models.Model):
    """The text a template had at one version: what an old decision's reply was written from."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("template_id", "-version")
        constraints = (models.UniqueConstraint(fields=("template", "version"), name="reply_template_version_unique"),)

    def __str__(self) -> str:
        return f"template {self.template_id} v{self.version}"


class SuppressionEntry(models.Model):
    """A contact who opted out: no reply, no follow-up, until an agent lifts it.

    Holds only a keyed hash of platform + handle (see ``inbox.suppression``), never the
    handle: an erasure removes the person's messages and still keeps them suppressed.
    """

    contact_hash = models.CharField(max_length=64, unique=True)
    platform = models.CharField(max_length=32, blank=True, help_text="Platform slug (not personal data).")
    reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "suppression entries"

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "active"
        return f"suppressed {self.platform}:{self.contact_hash[:12]}... ({state})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class AllowListEntry(models.Model):
    """First-live safety: while ``BotSettings.allowlist_only`` is on, only these auto-send.

    A renter entry stores the same keyed hash as the suppression list, never the handle.
    """

    kind = models.CharField(max_length=16, choices=AllowListKind.choices)
    contact_hash = models.CharField(max_length=64, blank=True)
    platform = models.CharField(max_length=32, blank=True)
    listing = models.ForeignKey(
        "inbox.Listing", null=True, blank=True, on_delete=models.CASCADE, related_name="allowlist"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "allow-list entries"
        constraints = (
            models.CheckConstraint(condition=Q(kind__in=AllowListKind.values), name="allowlist_kind_valid"),
            models.CheckConstraint(
                condition=(
                    Q(kind=AllowListKind.RENTER, listing__isnull=True) & ~Q(contact_hash="")
                    | Q(kind=AllowListKind.LISTING, listing__isnull=False, contact_hash="")
                ),
                name="allowlist_entry_shape",
            ),
            models.UniqueConstraint(
                fields=("contact_hash",), condition=~Q(contact_hash=""), name="allowlist_renter_unique"
            ),
            models.UniqueConstraint(
                fields=("listing",), condition=Q(listing__isnull=False), name="allowlist_listing_unique"
            ),
        )

    def __str__(self) -> str:
        if self.kind == AllowListKind.LISTING:
            return f"allow listing {self.listing_id}"
        return f"allow renter {self.platform}:{self.contact_hash[:12]}..."


class QuietHours(models.Model):
    """An account's quiet window: messages the bot starts on its own (follow-ups) wait until it ends.

    Without a row the account gets ``settings.LEASEBOT_QUIET_HOURS``; a row with ``is_active`` off
    means no quiet hours at all. Times are local to ``time_zone``, else the conversation's unit's
    zone, else the account's (``inbox.quiet_hours``).
    """

    account = models.OneToOneField("platforms.PlatformAccount", on_delete=models.CASCADE, related_name="quiet_hours")
    starts = models.TimeField(help_text="Local time the quiet window opens, e.g. 21:00.")
    ends = models.TimeField(help_text="Local time it closes, e.g. 08:00 (the next morning when before the start).")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_timezone],
        help_text="Empty: the unit's zone, else the account's.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Off: no quiet hours for this account, not even the default."
    )

    class Meta:
        verbose_name_plural = "quiet hours"
        constraints = [models.CheckConstraint(condition=~Q(starts=F("ends")), name="quiet_hours_not_empty")]

    def __str__(self) -> str:
        return f"{self.account}: quiet {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        if self.starts is not None and self.starts == self.ends:
            raise ValidationError({"ends": "A quiet window must start and end at different times."})
