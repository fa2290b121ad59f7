"""``manage.py rollout``: status, gated promote (refusal is a CommandError with figures), forced promote, rollback."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leasebot.core.models import AuditLog
from platforms.models import BotSettings
from rollout.models import StageChange
from tests.rollout import scenario

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("rollout", *args, stdout=out)
    return out.getvalue()


def test_status_prints_stage_canary_accounts_and_gates(canary_account):
    text = _run("status")
    assert "stage: shadow" in text
    assert "spareroom/canary" in text
    assert "dispatch_success: HOLD" in text


def test_promote_refused_prints_the_failing_figures(canary_account, agent_user):
    scenario.healthy(canary_account, agent_user)
    scenario.drafts(canary_account, 10, held=10)
    with pytest.raises(CommandError) as error:
        _run("promote", "--to", "canary")
    assert "guardrail_hold_rate: FAIL" in str(error.value)
    assert "10/40" in str(error.value)
    assert BotSettings.load().rollout_stage == "shadow"


def test_promote_passes_and_full_then_rollback(canary_account, agent_user, admin_user):
    scenario.healthy(canary_account, agent_user)
    assert "promoted shadow -> canary" in _run("--as", admin_user.username, "promote", "--to", "canary")
    assert "promoted canary -> full" in _run("promote", "--to", "full")
    assert "rolled back full -> canary" in _run("rollback", "--reason", "renter complaint")
    assert BotSettings.load().rollout_stage == "canary"
    assert AuditLog.objects.get(action="rollout.rollback").reason == "renter complaint"
    assert StageChange.objects.first().actor_label == "system:cli"


def test_force_without_reason_is_a_command_error(canary_account):
    with pytest.raises(CommandError, match="reason"):
        _run("promote", "--to", "canary", "--force")


def test_force_with_reason_is_audited(canary_account, admin_user):
    text = _run("--as", admin_user.username, "promote", "--to", "canary", "--force", "--reason", "approved by CTO")
    assert "FORCED" in text
    row = AuditLog.objects.get(action="rollout.promote_forced")
    assert (row.actor, row.reason) == (admin_user, "approved by CTO")


def test_promote_with_accounts_sets_the_canary_set(canary_account, auto_account, agent_user):
    scenario.healthy(canary_account, agent_user)
    _run("promote", "--to", "canary", "--accounts", "spareroom/auto", "spareroom/canary")
    auto_account.refresh_from_db()
    assert auto_account.is_canary is True
