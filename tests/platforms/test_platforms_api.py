"""Platform accounts, platforms, settings and health: who reads, who writes, and the audit."""

from __future__ import annotations

from typing import Any

import pytest

from leasebot.core.models import AuditLog
from platforms.models import BotSettings, Platform

pytestmark = pytest.mark.django_db


def test_accounts_list_agent_sees_only_granted(agent_client: Any, granted: Any, foreign_account: Any) -> None:
    response = agent_client.get("/api/v1/platform-accounts/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [granted.pk]


def test_accounts_list_admin_sees_all(
    admin_client: Any, granted: Any, foreign_account: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(4):
        response = admin_client.get("/api/v1/platform-accounts/")
    assert {row["id"] for row in response.json()} == {granted.pk, foreign_account.pk}
    assert "credential_ref" not in response.json()[0]


def test_account_detail_outside_scope_is_404(agent_client: Any, foreign_account: Any) -> None:
    assert agent_client.get(f"/api/v1/platform-accounts/{foreign_account.pk}/").status_code == 404
    assert (
        agent_client.patch(
            f"/api/v1/platform-accounts/{foreign_account.pk}/", {"is_active": False}, format="json"
        ).status_code
        == 404
    )


def test_account_patch_by_agent_in_scope_is_403(agent_client: Any, granted: Any) -> None:
    response = agent_client.patch(f"/api/v1/platform-accounts/{granted.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 403
    granted.refresh_from_db()
    assert granted.is_active


def test_account_patch_by_admin_changes_and_audits(admin_client: Any, admin_user: Any, account: Any) -> None:
    response = admin_client.patch(
        f"/api/v1/platform-accounts/{account.pk}/", {"is_active": False, "send_mode": "draft_only"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["send_mode"] == "draft_only"
    account.refresh_from_db()
    assert (account.is_active, account.send_mode) == (False, "draft_only")
    actions = set(AuditLog.objects.filter(object_id=str(account.pk), actor=admin_user).values_list("action", flat=True))
    assert {"account.toggle", "account.send_mode"} <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"send_mode": "sometimes"}, "send_mode"),
        ({"is_active": "maybe"}, "is_active"),
        ({}, "non_field_errors"),
        ({"reason": "x" * 400, "is_active": True}, "reason"),
    ],
)
def test_account_patch_invalid_is_400_with_field(
    admin_client: Any, account: Any, body: dict[str, Any], field: str
) -> None:
    response = admin_client.patch(f"/api/v1/platform-accounts/{account.pk}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_account_put_is_not_allowed(admin_client: Any, account: Any) -> None:
    assert (
        admin_client.put(f"/api/v1/platform-accounts/{account.pk}/", {"is_active": False}, format="json").status_code
        == 405
    )


def test_account_bad_id_is_404(admin_client: Any) -> None:
    assert admin_client.get("/api/v1/platform-accounts/abc/").status_code == 404
    assert admin_client.get("/api/v1/platform-accounts/99999999999999999999999/").status_code == 404


def test_platform_toggle_admin_only_and_audited(admin_client: Any, agent_client: Any, ops_client: Any) -> None:
    platform = Platform.objects.get(slug="roomies")
    url = f"/api/v1/platforms/{platform.pk}/"
    assert agent_client.patch(url, {"is_active": False}, format="json").status_code == 403
    assert ops_client.patch(url, {"is_active": False}, format="json").status_code == 403
    response = admin_client.patch(url, {"is_active": False, "reason": "maintenance"}, format="json")
    assert response.status_code == 200
    platform.refresh_from_db()
    assert not platform.is_active
    assert AuditLog.objects.filter(action="platform.toggle", object_id=str(platform.pk), reason="maintenance").exists()


def test_settings_every_role_reads_only_admin_writes(admin_client: Any, agent_client: Any, ops_client: Any) -> None:
    for client in (admin_client, agent_client, ops_client):
        assert client.get("/api/v1/settings/").json()["rollout_stage"] in {"shadow", "canary", "full"}
    assert agent_client.patch("/api/v1/settings/", {"default_send_mode": "auto_send"}, format="json").status_code == 403
    assert ops_client.patch("/api/v1/settings/", {"default_send_mode": "auto_send"}, format="json").status_code == 403
    response = admin_client.patch("/api/v1/settings/", {"default_send_mode": "auto_send"}, format="json")
    assert response.status_code == 200
    assert BotSettings.load().default_send_mode == "auto_send"
    assert AuditLog.objects.filter(action="settings.default_send_mode").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rollout_stage": "everywhere"}, "rollout_stage"),
        ({"canary_share_percent": 101}, "canary_share_percent"),
        ({"canary_share_percent": "ten"}, "canary_share_percent"),
        ({}, "non_field_errors"),
    ],
)
def test_settings_invalid_is_400_with_field(admin_client: Any, body: dict[str, Any], field: str) -> None:
    response = admin_client.patch("/api/v1/settings/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_settings_malformed_json_is_400(admin_client: Any) -> None:
    response = admin_client.generic("PATCH", "/api/v1/settings/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_health_scoped_and_counts(
    agent_client: Any, ops_client: Any, granted: Any, foreign_account: Any, django_assert_max_num_queries: Any
) -> None:
    foreign_account.send_error_count = 7
    foreign_account.circuit_state = "open"
    foreign_account.save()
    with django_assert_max_num_queries(9):  # Three of them: the locators in use and the healing events.
        rows = ops_client.get("/api/v1/health/platforms/").json()
    spareroom = next(r for r in rows if r["slug"] == "spareroom")
    assert spareroom["send_error_count"] == 7
    assert spareroom["open_circuits"] == 1
    assert {a["id"] for a in spareroom["accounts"]} == {granted.pk, foreign_account.pk}
    mine = next(r for r in agent_client.get("/api/v1/health/platforms/").json() if r["slug"] == "spareroom")
    assert [a["id"] for a in mine["accounts"]] == [granted.pk]
    assert mine["send_error_count"] == 0
    assert len(rows) == 5


def test_me_reports_role_and_timezone(agent_client: Any, agent_user: Any) -> None:
    from inbox.models import AgentProfile

    assert agent_client.get("/api/v1/me/").json()["timezone"] is None
    AgentProfile.objects.create(user=agent_user, timezone="America/Chicago")
    body = agent_client.get("/api/v1/me/").json()
    assert (body["role"], body["timezone"]) == ("agent", "America/Chicago")


def test_anonymous_and_roleless_users_are_refused(client: Any, db: Any) -> None:
    from tests.conftest import client_for
    from tests.platforms.factories import UserFactory

    assert client.get("/api/v1/platform-accounts/").status_code in {401, 403}
    roleless = client_for(UserFactory(username="nobody"))
    assert roleless.get("/api/v1/platform-accounts/").status_code == 403
    assert roleless.get("/api/v1/settings/").status_code == 403
