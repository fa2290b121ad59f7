"""Admin forms for accounts: credential fields accept references only."""

from __future__ import annotations

from django import forms

from platforms.models import PlatformAccount


class PlatformAccountForm(forms.ModelForm):
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
            "is_canary",
        )
        widgets = {
            # A reference is not a secret, but never pre-fill what someone may have mistyped.
            "credential_ref": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "env:LEASEBOT_CRED_SPAREROOM"}
            ),
            "mailbox_ref": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "env:LEASEBOT_CRED_FF_MAILBOX"}
            ),
        }
        help_texts = {
            "credential_ref": "A reference, never the password: env:NAME (NAME starting with an allowed prefix, "
            "LEASEBOT_CRED_ in production) or file:/path inside the secrets directory (LEASEBOT_SECRETS_DIR).",
            "base_url": "Empty: the platform's default. Only the platform's own hosts (or the configured allow-list).",
        }
