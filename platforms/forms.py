"""Admin forms for accounts: credential fields accept references only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from guardian.admin import AdminGroupObjectPermissionsForm, AdminUserObjectPermissionsForm

from platforms.models import PlatformAccount
from platforms.roles import account_perms_set

POLICY_FIELDS = ("is_active", "send_mode", "is_canary")
REASON_REQUIRED = "Give a reason for switching or changing the send mode (it goes into the audit log)."


class PolicyReasonForm(forms.ModelForm):
    """A change form that asks why when a switch or a send mode changes."""

    policy_fields: tuple[str, ...] = POLICY_FIELDS

    reason = forms.CharField(
        required=False, max_length=300, help_text="Required when a switch or the send mode changes; audited."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        changed = set(self.policy_fields) & set(self.changed_data)
        if self.instance.pk and changed and not str(data.get("reason", "")).strip():
            raise ValidationError({"reason": REASON_REQUIRED})
        return data


class BotSettingsForm(PolicyReasonForm):
    """The global settings: a new default send mode needs a reason too."""

    policy_fields = ("default_send_mode", "canary_share_percent", "max_auto_send_age_minutes", "allowlist_only")


class PlatformAccountForm(PolicyReasonForm):
    """The account form; model validators refuse a plain password without echoing it."""

    class Meta:
        model = PlatformAccount
        fields = (
            "platform",
            "label",
            "is_active",
            "send_mode",
            "username",
            "credential_ref",
            "login_method",
            "mailbox_ref",
            "base_url",
            "time_zone",
            "is_canary",
            "reason",
        )
        widgets = {
            # A reference is not a secret, but never pre-fill what someone may have mistyped.
            "credential_ref": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "env:LEASEBOT_CRED_SPAREROOM"}
            ),
            "mailbox_ref": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "env:LEASEBOT_CRED_FF_MAILBOX"}
            ),
            "time_zone": forms.TextInput(attrs={"placeholder": "America/Los_Angeles"}),
        }
        help_texts = {
            "credential_ref": "A reference, never the password: env:NAME (NAME starting with an allowed prefix, "
            "LEASEBOT_CRED_ in production) or file:/path inside the secrets directory (LEASEBOT_SECRETS_DIR).",
            "base_url": "Empty: the platform's default. Only the platform's own hosts (or the configured allow-list).",
        }


PERMS_REASON_REQUIRED = "Give a reason for changing these permissions (it goes into the audit log)."


class _AuditedObjectPermissionsMixin(forms.Form):
    """django-guardian's object-permissions form, saved through ``account_perms_set`` with a reason.

    guardian's own form assigns and removes permissions directly, which left no audit row; the
    admin builds a subclass per request that names the signed-in admin as ``actor``.
    """

    actor: Any = None
    #: The attribute guardian's form keeps the permission holder in ("user" or "group").
    holder_attr: str = "user"
    reason = forms.CharField(
        max_length=300, required=False, label="Reason", help_text="Why the permissions change (audit log)."
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise ValidationError(PERMS_REASON_REQUIRED)
        return reason

    def save_obj_perms(self) -> None:
        # Called after is_valid(): the reason is there and the choices are the model's permissions.
        account_perms_set(
            account=self.obj,  # type: ignore[attr-defined]
            holder=getattr(self, self.holder_attr),
            perms=self.cleaned_data[self.get_obj_perms_field_name()],  # type: ignore[attr-defined]
            actor=self.actor,
            reason=self.cleaned_data["reason"],
        )


class AuditedUserObjectPermissionsForm(_AuditedObjectPermissionsMixin, AdminUserObjectPermissionsForm):
    """A user's permissions on one account, audited."""

    holder_attr = "user"


class AuditedGroupObjectPermissionsForm(_AuditedObjectPermissionsMixin, AdminGroupObjectPermissionsForm):
    """A group's permissions on one account, audited."""

    holder_attr = "group"
