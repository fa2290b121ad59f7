"""Issue 18: switching a platform or an account, or changing a send mode, in the admin needs a reason.

Before: list editing saved such changes at once with the reason "admin" (and so did the
change forms): the audit log said who, but never why.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from leasebot.core.models import AuditLog
from platforms.forms import REASON_REQUIRED
from platforms.models import BotSettings, Platform, PlatformAccount
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site() -> Client:
    client = Client()
    client.force_login(UserFactory(username="reason-admin", is_staff=True, is_superuser=True))
    return client


def _platform_list_post(reason: str) -> dict[str, Any]:
    platforms = list(Platform.objects.order_by("slug"))
    data: dict[str, Any] = {
        "form-TOTAL_FORMS": str(len(platforms)),
        "form-INITIAL_FORMS": str(len(platforms)),
        "_save": "Save",
        "reason": reason,
    }
    for n, platform in enumerate(platforms):
        data[f"form-{n}-id"] = str(platform.pk)
        if platform.slug != "roomies":  # Roomies' box unticked: switched off.
            data[f"form-{n}-is_active"] = "on"
    return data


def test_platform_list_edit_without_a_reason_is_refused(admin_site: Client) -> None:
    response = admin_site.post(reverse("admin:platforms_platform_changelist"), _platform_list_post(""))
    assert response.status_code == 200
    assert REASON_REQUIRED in response.content.decode()
    assert Platform.objects.get(slug="roomies").is_active


def test_platform_list_edit_with_a_reason_is_saved_and_audited_with_it(admin_site: Client) -> None:
    response = admin_site.post(
        reverse("admin:platforms_platform_changelist"), _platform_list_post("roomies maintenance window")
    )
    assert response.status_code == 302
    assert not Platform.objects.get(slug="roomies").is_active
    assert AuditLog.objects.filter(action="platform.toggle", reason="roomies maintenance window").exists()


def test_account_list_edit_of_the_send_mode_needs_a_reason(admin_site: Client) -> None:
    account = PlatformAccountFactory(send_mode="")
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(account.pk),
        "form-0-is_active": "on",
        "form-0-send_mode": "auto_send",
        "_save": "Save",
    }
    url = reverse("admin:platforms_platformaccount_changelist") + f"?id__exact={account.pk}"
    refused = admin_site.post(url, {**data, "reason": ""})
    assert refused.status_code == 200
    assert REASON_REQUIRED in refused.content.decode()
    account.refresh_from_db()
    assert account.send_mode == ""
    saved = admin_site.post(url, {**data, "reason": "pilot on this account"})
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.send_mode == "auto_send"
    assert AuditLog.objects.filter(reason="pilot on this account").exists()


def test_account_change_form_switch_needs_a_reason(admin_site: Client) -> None:
    account = PlatformAccountFactory()
    url = reverse("admin:platforms_platformaccount_change", args=[account.pk])
    form = {
        "platform": account.platform_id,
        "label": account.label,
        "username": account.username,
        "credential_ref": account.credential_ref,
        "login_method": account.login_method,
        "base_url": account.base_url,
        "send_mode": "",
    }  # is_active left out: switched off.
    refused = admin_site.post(url, {**form, "reason": ""})
    assert refused.status_code == 200
    assert REASON_REQUIRED in refused.content.decode()
    assert PlatformAccount.objects.get(pk=account.pk).is_active
    assert admin_site.post(url, {**form, "reason": "password rotation"}).status_code == 302
    assert not PlatformAccount.objects.get(pk=account.pk).is_active
    assert AuditLog.objects.filter(reason="password rotation").exists()


def test_global_send_mode_list_edit_needs_a_reason(admin_site: Client) -> None:
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": "1",
        "form-0-default_send_mode": "auto_send",
        "_save": "Save",
    }
    url = reverse("admin:platforms_botsettings_changelist")
    assert admin_site.post(url, {**data, "reason": ""}).status_code == 200
    assert BotSettings.load().default_send_mode == "draft_only"
    assert admin_site.post(url, {**data, "reason": "go live"}).status_code == 302
    assert BotSettings.load().default_send_mode == "auto_send"
    assert AuditLog.objects.filter(action="settings.default_send_mode", reason="go live").exists()
