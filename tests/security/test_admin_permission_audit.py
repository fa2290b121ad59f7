"""Issue 18: object-permission grants and revocations made in the Django admin are audited, with a reason.

Before: django-guardian's "Object permissions" pages of an account assigned and removed
permissions directly: an admin could give an agent an account (its renters' conversations)
and take it back with no audit row at all, while the same grant from the command line left one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm, get_group_perms, get_user_perms

from leasebot.core.models import AuditLog
from platforms.forms import PERMS_REASON_REQUIRED
from platforms.roles import accounts_for_user
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCESS = "access_platformaccount"


@pytest.fixture
def admin_user() -> Any:
    return UserFactory(username="perm-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_site(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def account() -> Any:
    return PlatformAccountFactory(label="perm-account")


@pytest.fixture
def agent() -> Any:
    return UserFactory(username="perm-agent", role="agent")


def _user_page(account: Any, user: Any) -> str:
    return reverse("admin:platforms_platformaccount_permissions_manage_user", args=[account.pk, user.pk])


def _audit(action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action).order_by("pk"))


def test_a_grant_in_the_admin_is_audited_with_the_admin_and_the_reason(
    admin_site: Client, admin_user: Any, account: Any, agent: Any
) -> None:
    # when: the admin ticks "access" for the agent on the account's permissions page
    response = admin_site.post(
        _user_page(account, agent), {"permissions": [ACCESS], "reason": "covering for Sam this week"}
    )
    # then: granted, and one audit row says who, to whom, what and why
    assert response.status_code == 302, response.content[:500]
    assert list(accounts_for_user(agent)) == [account]
    [row] = _audit("account.grant")
    assert (row.actor_id, row.object_id, row.reason) == (admin_user.pk, str(account.pk), "covering for Sam this week")
    assert row.after == {"user": agent.pk, "permission": ACCESS}


def test_a_revocation_in_the_admin_is_audited(admin_site: Client, admin_user: Any, account: Any, agent: Any) -> None:
    # given
    assign_perm(ACCESS, agent, account)
    # when: every permission unticked
    response = admin_site.post(_user_page(account, agent), {"reason": "Sam is back"})
    # then
    assert response.status_code == 302
    assert ACCESS not in get_user_perms(agent, account)
    [row] = _audit("account.revoke")
    assert (row.actor_id, row.reason, row.after) == (
        admin_user.pk,
        "Sam is back",
        {"user": agent.pk, "permission": ACCESS},
    )
    assert not _audit("account.grant")


def test_a_change_without_a_reason_is_refused_and_changes_nothing(admin_site: Client, account: Any, agent: Any) -> None:
    response = admin_site.post(_user_page(account, agent), {"permissions": [ACCESS], "reason": "  "})
    assert response.status_code == 200
    assert PERMS_REASON_REQUIRED in response.content.decode()
    assert ACCESS not in get_user_perms(agent, account)
    assert not AuditLog.objects.filter(action__in=["account.grant", "account.revoke"]).exists()


def test_the_permissions_page_shows_the_reason_box(admin_site: Client, account: Any, agent: Any) -> None:
    page = admin_site.get(_user_page(account, agent)).content.decode()
    assert 'name="reason"' in page


def test_a_group_grant_in_the_admin_is_audited(admin_site: Client, admin_user: Any, account: Any) -> None:
    group = Group.objects.create(name="weekend-cover")
    url = reverse("admin:platforms_platformaccount_permissions_manage_group", args=[account.pk, group.pk])
    response = admin_site.post(url, {"permissions": [ACCESS, "view_platformaccount"], "reason": "weekend rota"})
    assert response.status_code == 302
    assert set(get_group_perms(group, account)) == {ACCESS, "view_platformaccount"}
    rows = _audit("account.grant")
    assert {r.after["permission"] for r in rows} == {ACCESS, "view_platformaccount"}
    assert {(r.actor_id, r.reason, r.after["group"]) for r in rows} == {(admin_user.pk, "weekend rota", group.pk)}


def test_saving_unchanged_permissions_writes_no_audit_row(admin_site: Client, account: Any, agent: Any) -> None:
    assign_perm(ACCESS, agent, account)
    response = admin_site.post(_user_page(account, agent), {"permissions": [ACCESS], "reason": "checking"})
    assert response.status_code == 302
    assert not AuditLog.objects.filter(action__in=["account.grant", "account.revoke"]).exists()
