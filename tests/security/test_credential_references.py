"""Issue 18: an account's credential reference and base URL are restricted, on save and at use.

Before: an admin could save ``file:/proc/self/environ`` or ``env:SECRET_KEY`` as an
account's credential and any host as its base URL, and a worker would type that secret
into that host's login form.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from dispatch.connectors import connector_for
from platforms.credentials import CredentialRefused, resolve_credential, validate_credential_ref
from platforms.hosts import BaseUrlRefused
from platforms.models import Platform, PlatformAccount
from platforms.selectors import account_config
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUSED = [
    "env:SECRET_KEY",
    "env:LEASEBOT_SUPPRESSION_KEY",
    "env:DATABASE_URL",
    "env:HOME",
    "env:SPAREROOM_PASSWORD",  # Not under the configured prefix.
    "file:/proc/self/environ",
    "file:/etc/passwd",
    "file:/run/secrets/../../proc/self/environ",
    "file:/run/secrets",
]
ALLOWED = ["env:LEASEBOT_CRED_SPAREROOM", "file:/run/secrets/spareroom", "file:/run/secrets/team/roomies"]


@pytest.fixture
def production_rules(settings: Any) -> None:
    settings.LEASEBOT_CREDENTIAL_ENV_PREFIXES = ["LEASEBOT_CRED_"]
    settings.LEASEBOT_SECRETS_DIR = "/run/secrets"
    settings.LEASEBOT_ACCOUNT_HOST_ALLOWLIST = []


@pytest.mark.usefixtures("production_rules")
@pytest.mark.parametrize("reference", REFUSED)
def test_references_outside_the_rules_are_refused_on_save(reference: str) -> None:
    with pytest.raises(ValidationError, match="not allowed"):
        validate_credential_ref(reference)


@pytest.mark.usefixtures("production_rules")
@pytest.mark.parametrize("reference", ALLOWED)
def test_references_inside_the_rules_are_accepted(reference: str) -> None:
    validate_credential_ref(reference)


@pytest.mark.usefixtures("production_rules")
@pytest.mark.parametrize("reference", REFUSED)
def test_a_stored_reference_outside_the_rules_is_refused_at_use(
    reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("SPAREROOM_PASSWORD", "hunter2hunter2")
    with pytest.raises(CredentialRefused) as err:
        resolve_credential(reference)
    assert "hunter2" not in err.value.message


def test_process_secrets_are_refused_even_where_any_prefix_is_allowed(settings: Any) -> None:
    settings.LEASEBOT_CREDENTIAL_ENV_PREFIXES = [""]
    for name in ("SECRET_KEY", "LEASEBOT_SUPPRESSION_KEY", "DATABASE_URL", "REDIS_URL"):
        with pytest.raises(CredentialRefused):
            resolve_credential(f"env:{name}")


@pytest.mark.usefixtures("production_rules")
def test_an_allowed_file_resolves(tmp_path: Any, settings: Any) -> None:
    settings.LEASEBOT_SECRETS_DIR = str(tmp_path)
    (tmp_path / "spareroom").write_text("s3cret-from-file\n")
    assert resolve_credential(f"file:{tmp_path}/spareroom") == "s3cret-from-file"
    # A link inside the directory that leads out of it is refused.
    (tmp_path / "escape").symlink_to("/proc/self/environ")
    with pytest.raises(CredentialRefused):
        resolve_credential(f"file:{tmp_path}/escape")


def _admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="cred-admin", is_staff=True, is_superuser=True))
    return client


def _account_form(**fields: str) -> dict[str, Any]:
    return {
        "platform": Platform.objects.get(slug="spareroom").pk,
        "label": "restricted",
        "username": "u@example.test",
        "credential_ref": "env:LEASEBOT_CRED_SPAREROOM",
        "login_method": "password",
        "send_mode": "",
        **fields,
    }


@pytest.mark.usefixtures("production_rules")
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"credential_ref": "file:/proc/self/environ"}, "secret files must be inside /run/secrets"),
        ({"credential_ref": "env:SECRET_KEY"}, "SECRET_KEY is not a platform credential"),
        ({"mailbox_ref": "env:SECRET_KEY"}, "SECRET_KEY is not a platform credential"),
        ({"base_url": "https://attacker.example/login"}, "attacker.example is not a host of spareroom"),
        ({"base_url": "http://127.0.0.1:8765/spareroom"}, "127.0.0.1 is not a host of spareroom"),
        ({"base_url": "https://spareroom.com.attacker.example/"}, "is not a host of spareroom"),
    ],
)
def test_admin_refuses_them_inline(fields: dict[str, str], error: str) -> None:
    response = _admin_client().post(reverse("admin:platforms_platformaccount_add"), _account_form(**fields))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not PlatformAccount.objects.filter(label="restricted").exists()


@pytest.mark.usefixtures("production_rules")
def test_admin_accepts_an_allowed_account() -> None:
    response = _admin_client().post(
        reverse("admin:platforms_platformaccount_add"), _account_form(base_url="https://www.spareroom.co.uk/")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PlatformAccount.objects.filter(label="restricted").exists()


def test_the_sandbox_on_loopback_is_allowed_outside_production() -> None:
    account = PlatformAccountFactory.build(
        platform=Platform.objects.get(slug="roomies"), base_url="http://127.0.0.1:8765/roomies"
    )
    account.full_clean(exclude=["label"])


@pytest.mark.usefixtures("production_rules")
def test_a_stored_base_url_outside_the_hosts_is_refused_before_a_browser_opens() -> None:
    account = PlatformAccountFactory()
    PlatformAccount.objects.filter(pk=account.pk).update(base_url="https://attacker.example/")
    account.refresh_from_db()
    with pytest.raises(BaseUrlRefused):
        account_config(account)
    with pytest.raises(BaseUrlRefused):
        connector_for(account)


@pytest.mark.usefixtures("production_rules")
def test_platform_default_base_url_is_checked_too() -> None:
    platform = Platform.objects.get(slug="renthop")
    platform.default_base_url = "https://evil.example/"
    with pytest.raises(ValidationError, match=r"evil\.example is not a host of renthop"):
        platform.full_clean()
