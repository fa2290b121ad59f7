"""Roles, object grants, the create_user command and the admin's audited toggles."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from leasebot.core.models import AuditLog
from platforms.models import BotSettings, PlatformAccount
from platforms.roles import account_grant, accounts_for_user, user_role
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_roles_exist_with_expected_rights(admin_user, agent_user, ops_user) -> None:  # type: ignore[no-untyped-def]
    assert admin_user.has_perm("platforms.change_platformaccount")
    assert not agent_user.has_perm("platforms.change_platformaccount")
    assert not ops_user.has_perm("platforms.change_platformaccount")
    assert ops_user.has_perm("dispatch.view_deadletter")
    assert agent_user.has_perm("inbox.view_conversation")
    assert [user_role(u) for u in (admin_user, agent_user, ops_user)] == ["admin", "agent", "ops"]


def test_agent_sees_only_granted_accounts(agent_user) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = PlatformAccountFactory(), PlatformAccountFactory()
    account_grant(user=agent_user, account=mine)
    assert list(accounts_for_user(agent_user)) == [mine]
    assert theirs not in accounts_for_user(agent_user)


def test_create_user_command(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-enough-password")
    call_command(
        "create_user",
        "carol",
        "--role",
        "agent",
        "--password-env",
        "NEW_USER_PASSWORD",
        "--grant",
        f"{account.platform.slug}/{account.label}",
    )
    carol = type(account).objects.none().model  # noqa: F841 - keep the import graph explicit.
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="carol")
    assert user_role(user) == "agent"
    assert not user.is_staff
    assert list(accounts_for_user(user)) == [account]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dave", "--role", "agent", "--password-env", "UNSET_VAR_XYZ"], "UNSET_VAR_XYZ"),
        (["dave", "--role", "agent", "--password-env", "PW", "--grant", "spareroom/nope"], "no account"),
    ],
)
def test_create_user_command_bad_input(monkeypatch, args, message) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PW", "a-long-enough-password")
    with pytest.raises(CommandError, match=message):
        call_command("create_user", *args)


def test_create_user_unknown_role_refused() -> None:
    with pytest.raises(CommandError):
        call_command("create_user", "erin", "--role", "overlord", "--password-env", "PW")


def _changelist_post(client: Client, account: PlatformAccount, **fields: object) -> object:
    url = reverse("admin:platforms_platformaccount_changelist")
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(account.pk),
        "_save": "Save",
        "reason": "list edit in a test",  # Required for a policy change (tests/security/test_admin_policy_reasons.py).
        "form-0-is_active": "on" if fields.get("is_active", account.is_active) else "",
        "form-0-send_mode": fields.get("send_mode", account.send_mode),
        "form-0-is_canary": "on" if fields.get("is_canary", account.is_canary) else "",
    }
    data = {k: v for k, v in data.items() if v != "" or k == "form-0-send_mode"}
    return client.post(url, data)


def test_admin_list_editable_toggle_writes_audit(admin_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    client = Client()
    client.force_login(admin_user)
    response = _changelist_post(client, account, is_active=False, send_mode="draft_only")
    assert response.status_code == 302  # type: ignore[attr-defined]
    account.refresh_from_db()
    assert (account.is_active, account.send_mode) == (False, "draft_only")
    actions = set(AuditLog.objects.filter(object_id=str(account.pk)).values_list("action", flat=True))
    assert {"account.toggle", "account.send_mode"} <= actions


def test_admin_refuses_plain_password_in_form(admin_user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(admin_user)
    from platforms.models import Platform

    response = client.post(
        reverse("admin:platforms_platformaccount_add"),
        {
            "platform": Platform.objects.get(slug="spareroom").pk,
            "label": "new",
            "username": "u@example.test",
            "credential_ref": "my-secret-password",
            "login_method": "password",
            "send_mode": "",
        },
    )
    assert response.status_code == 200
    assert "plain passwords are never stored" in response.content.decode()
    assert "my-secret-password" not in response.content.decode().split("errorlist")[1][:300]
    assert not PlatformAccount.objects.filter(label="new").exists()


def test_admin_botsettings_no_second_row(admin_user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("admin:platforms_botsettings_add")).status_code == 403
    assert BotSettings.objects.count() == 1


def test_admin_audit_log_read_only(admin_user) -> None:  # type: ignore[no-untyped-def]
    from leasebot.core.services import audit_record

    row = audit_record(action="x", system="t")
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("admin:core_auditlog_changelist")).status_code == 200
    assert client.get(reverse("admin:core_auditlog_add")).status_code == 403
    assert client.post(reverse("admin:core_auditlog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403


def test_agent_cannot_use_admin(agent_user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent_user)
    response = client.get(reverse("admin:platforms_platformaccount_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_ops_reads_accounts_but_cannot_change(ops_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    client = Client()
    client.force_login(ops_user)
    assert client.get(reverse("admin:platforms_platformaccount_changelist")).status_code == 200
    _changelist_post(client, account, is_active=False)
    account.refresh_from_db()
    assert account.is_active


def test_admin_bulk_action_asks_for_confirmation(admin_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:platforms_platformaccount_changelist")
    page = client.post(url, {"action": "switch_off", "_selected_action": [account.pk]})
    assert page.status_code == 200
    assert "Yes, I" in page.content.decode()
    account.refresh_from_db()
    assert account.is_active
    client.post(url, {"action": "switch_off", "_selected_action": [account.pk], "confirmed": "yes"})
    account.refresh_from_db()
    assert not account.is_active


def test_unknown_user_factory_role_is_an_error() -> None:
    with pytest.raises(Exception):  # noqa: B017 - the group lookup fails loudly.
        UserFactory(role="nobody")
