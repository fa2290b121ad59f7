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
            "time_zone",
            "is_canary",
        )
        widgets = {
            # A reference is not a secret, but never pre-fill what someone may have mistyped.
            "credential_ref": forms.TextInput(attrs={"autocomplete": "off", "placeholder": "env:SPAREROOM_PASSWORD"}),
            "mailbox_ref": forms.TextInput(attrs={"autocomplete": "off", "placeholder": "env:FF_MAILBOX_URL"}),
            "time_zone": forms.TextInput(attrs={"placeholder": "America/Los_Angeles"}),
        }
