"""Inbox admin: pages load, templates save through the versioning service, lists store hashes only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inbox.models import AllowListEntry, ReplyTemplate, SuppressionEntry
from inbox.suppression import contact_hash
from tests.platforms.factories import UserFactory


@pytest.fixture
def admin_client_(db) -> Client:  # type: ignore[no-untyped-def]
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "listing",
        "unit",
        "listingref",
        "agentprofile",
        "availabilityrule",
        "replytemplate",
        "suppressionentry",
        "allowlistentry",
        "conversation",
        "message",
        "decision",
        "showing",
    ],
)
def test_admin_changelist_and_add_pages_load(admin_client_: Client, model: str) -> None:
    assert admin_client_.get(reverse(f"admin:inbox_{model}_changelist")).status_code == 200


def test_admin_template_edit_makes_a_new_version(admin_client_: Client) -> None:
    template = ReplyTemplate.objects.get(key="parking", language="en", platform__isnull=True)
    url = reverse("admin:inbox_replytemplate_change", args=[template.pk])

    response = admin_client_.post(
        url,
        {
            "key": "parking",
            "language": "en",
            "body": "Parking: {parking}.",
            "is_active": "on",
            "auto_send": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "1",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    template.refresh_from_db()
    assert template.version == 2


def test_admin_template_unknown_variable_is_refused(admin_client_: Client) -> None:
    url = reverse("admin:inbox_replytemplate_add")

    response = admin_client_.post(
        url,
        {
            "key": "pets",
            "body": "Pets {free_month}",
            "is_active": "",
            "auto_send": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert b"Unknown variable" in response.content


def test_admin_suppression_and_allowlist_store_hashes_only(admin_client_: Client) -> None:
    admin_client_.post(
        reverse("admin:inbox_suppressionentry_add"),
        {"contact_platform": "roomies", "contact_handle": "jo_smith", "reason": "phone call"},
    )
    admin_client_.post(
        reverse("admin:inbox_allowlistentry_add"),
        {"kind": "renter", "contact_platform": "roomies", "contact_handle": "pilot_renter", "note": "pilot"},
    )

    assert SuppressionEntry.objects.get().contact_hash == contact_hash("roomies", "jo_smith")
    assert AllowListEntry.objects.get().contact_hash == contact_hash("roomies", "pilot_renter")
    assert "jo_smith" not in str(list(SuppressionEntry.objects.values()))
