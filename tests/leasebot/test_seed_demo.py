"""``seed_demo`` (the set-up step of ``make run``) against an in-process sandbox."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from inbox.models import Unit
from leasebot.management.commands.seed_demo import Command as SeedDemo
from platforms.models import BotSettings, PlatformAccount
from platforms.roles import accounts_for_user
from platforms.sandbox.client import SandboxClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_url(fresh_sandbox: Any) -> str:
    """The session's sandbox, emptied: ``seed_demo`` makes fixed account names and the test counts threads."""
    return str(fresh_sandbox.url)


def test_seed_demo_is_idempotent_and_complete(sandbox_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANDBOX_FURNISHEDFINDER_MAILBOX", raising=False)
    call_command("seed_demo", sandbox_url=sandbox_url, inquiries=2, stdout=io.StringIO())
    seeder = SeedDemo(stdout=io.StringIO())
    call_command(seeder, sandbox_url=sandbox_url, inquiries=0)
    accounts = PlatformAccount.objects.filter(label="demo")
    assert accounts.count() == 5
    assert all(a.credential_ref.startswith("env:") or a.mailbox_ref.startswith("env:") for a in accounts)
    ff = accounts.get(platform__slug="furnishedfinder")
    assert ff.login_method == "email_code"
    assert ff.mailbox_ref == "env:SANDBOX_FURNISHEDFINDER_MAILBOX"
    agent = get_user_model().objects.get(username="agent")
    assert agent.check_password(seeder.passwords["agent"])
    assert set(accounts_for_user(agent)) == set(accounts)
    unit = Unit.objects.get(name="Room A")
    assert unit.rent
    assert unit.deposit
    assert unit.available_from
    assert unit.application_url
    assert BotSettings.load().rollout_stage == "full"
    assert PeriodicTask.objects.get(name="dispatch.ingest_platform:spareroom").interval.every == 10
    client = SandboxClient(sandbox_url)
    threads = client.threads("spareroom", "leasing@spareroom.demo.test")
    assert len(threads) == 1  # Two inquiries round-robin over five platforms: one here.
    # make run shows the replicas as the real sites render (the seeded realistic profile).
    profile = client.profile("spareroom", "leasing@spareroom.demo.test")
    assert (profile["name"], profile["seed"]) == ("realistic", 1)
    assert profile["traits"]
    # The zone each demo account's user set is the same on the site and in the account row.
    for account in accounts:
        shown = client.account(account.platform.slug, account.username)["time_zone"]
        assert shown == account.time_zone
    assert accounts.get(platform__slug="spareroom").time_zone == "America/Los_Angeles"


def test_seed_demo_refuses_a_dead_sandbox() -> None:
    with pytest.raises(CommandError, match="does not answer"):
        call_command("seed_demo", sandbox_url="http://127.0.0.1:1")
