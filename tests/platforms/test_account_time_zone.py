"""An account's time zone: validated at every door, carried to the connector, shown by the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

import inbox.models
from leasebot.core import validators
from platforms.forms import PlatformAccountForm
from platforms.models import Platform
from platforms.selectors import account_config
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db

UNKNOWN = ["Mars/Olympus_Mons", "America/New_York ", "../etc/passwd", "UTC+3"]


@pytest.mark.parametrize("name", UNKNOWN)
def test_a_zone_nobody_knows_is_refused_by_model_validation(name: str) -> None:
    account = PlatformAccountFactory.build(platform=Platform.objects.get(slug="spareroom"), time_zone=name)
    with pytest.raises(ValidationError) as caught:
        account.full_clean()
    assert list(caught.value.message_dict) == ["time_zone"]
    assert "not a known time zone" in caught.value.message_dict["time_zone"][0]


@pytest.mark.parametrize("name", ["", "America/Los_Angeles", "Europe/London", "UTC"])
def test_a_known_zone_or_none_passes_and_reaches_the_connector_config(name: str) -> None:
    account = PlatformAccountFactory(time_zone=name)
    account.full_clean()
    assert account_config(account).time_zone == name


def test_the_admin_form_refuses_a_zone_nobody_knows_on_its_field() -> None:
    account = PlatformAccountFactory()
    data = {
        "platform": account.platform.pk,
        "label": account.label,
        "is_active": True,
        "send_mode": "",
        "username": account.username,
        "credential_ref": "",
        "login_method": "password",
        "mailbox_ref": "",
        "base_url": "",
        "is_canary": False,
    }
    refused = PlatformAccountForm(data={**data, "time_zone": "Mars/Olympus_Mons"}, instance=account)
    assert not refused.is_valid()
    assert list(refused.errors) == ["time_zone"]
    accepted = PlatformAccountForm(data={**data, "time_zone": "America/Los_Angeles"}, instance=account)
    assert accepted.is_valid(), accepted.errors
    assert accepted.save().time_zone == "America/Los_Angeles"


def test_the_api_shows_the_zone_read_only(admin_client: Any) -> None:
    account = PlatformAccountFactory(time_zone="Europe/London")
    url = f"/api/v1/platform-accounts/{account.pk}/"
    assert admin_client.get(url).json()["time_zone"] == "Europe/London"
    admin_client.patch(url, {"time_zone": "Asia/Tokyo"}, format="json")
    account.refresh_from_db()
    assert account.time_zone == "Europe/London"


def test_the_inbox_validates_zones_with_the_same_validator() -> None:
    assert inbox.models.validate_timezone is validators.validate_timezone
    with pytest.raises(ValidationError, match="not a known time zone"):
        validators.validate_timezone("Mars/Olympus_Mons")
