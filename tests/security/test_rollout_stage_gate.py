"""Issue 18: the rollout stage moves only through promote and rollback, never around their gates.

Before: an admin moved the stage from shadow straight to full through the settings API, the
Django admin or the review UI's settings page: no gate, no stage history, only a settings
audit row.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from platforms.models import BotSettings
from rollout.models import StageChange
from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body", [{"rollout_stage": "full"}, {"rollout_stage": "full", "default_send_mode": "auto_send"}]
)
def test_settings_api_refuses_a_stage_change(admin_client: Any, body: dict[str, str]) -> None:
    before = BotSettings.load()
    response = admin_client.patch("/api/v1/settings/", body, format="json")
    assert response.status_code == 400
    assert "rollout promote" in response.json()["rollout_stage"][0]
    after = BotSettings.load()
    assert (after.rollout_stage, after.default_send_mode) == (before.rollout_stage, before.default_send_mode)
    assert not StageChange.objects.exists()


def test_admin_shows_the_stage_read_only_and_ignores_a_posted_one() -> None:
    client = Client()
    client.force_login(UserFactory(username="stage-admin", is_staff=True, is_superuser=True))
    url = reverse("admin:platforms_botsettings_change", args=[1])
    assert 'name="rollout_stage"' not in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "default_send_mode": "draft_only",
            "rollout_stage": "full",
            "canary_share_percent": "0",
            "max_auto_send_age_minutes": "0",
        },
    )
    assert response.status_code == 302
    assert BotSettings.load().rollout_stage == "shadow"
    assert not StageChange.objects.exists()


def test_review_settings_page_offers_no_stage_control(admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    page = client.get("/review/settings/").content.decode()
    assert '<select id="s-stage"' not in page
    assert "rollout promote" in page
