"""The periodic check: a failing gate in canary or full moves the stage back to shadow, audits and alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leasebot.core import metrics
from leasebot.core.models import AuditLog
from platforms.choices import RolloutStage
from platforms.models import BotSettings
from platforms.policies import resolve_send_mode
from rollout.models import StageChange
from rollout.services import rollout_auto_rollback_check
from rollout.tasks import auto_rollback_check
from tests.rollout import scenario

pytestmark = pytest.mark.django_db


def _set_stage(stage: str) -> None:
    BotSettings.objects.filter(pk=1).update(rollout_stage=stage)


def test_auto_rollback_fires_on_a_breached_gate(canary_account):
    # given: canary, and a captcha storm in the last hour
    _set_stage(RolloutStage.CANARY)
    assert resolve_send_mode(canary_account).auto_send
    scenario.ingests(canary_account, 20, captcha=8)
    # when
    result = rollout_auto_rollback_check()
    # then
    assert result.rolled_back is True
    assert BotSettings.load().rollout_stage == RolloutStage.SHADOW
    assert not resolve_send_mode(canary_account).auto_send
    change = StageChange.objects.get()
    assert (change.from_stage, change.to_stage, change.automatic) == ("canary", "shadow", True)
    assert "captcha_block_rate" in change.reason
    audit = AuditLog.objects.get(action="rollout.auto_rollback")
    assert audit.actor_label == "system:rollout-auto"
    assert metrics.value("leasebot_alerts_total", kind="rollout_auto_rollback") == 1


def test_auto_rollback_from_full_goes_to_shadow(canary_account):
    _set_stage(RolloutStage.FULL)
    scenario.sent(canary_account)
    scenario.dead(canary_account)
    for _ in range(9):
        scenario.dead(canary_account)
    assert auto_rollback_check() == {"stage": "shadow", "rolled_back": True}


def test_auto_rollback_holds_with_too_little_data(canary_account):
    _set_stage(RolloutStage.CANARY)
    scenario.ingests(canary_account, 3, captcha=3)
    result = rollout_auto_rollback_check()
    assert result.rolled_back is False
    assert BotSettings.load().rollout_stage == RolloutStage.CANARY


def test_auto_rollback_ignores_breaches_outside_its_window(canary_account):
    _set_stage(RolloutStage.CANARY)
    scenario.ingests(canary_account, 20, captcha=20, at=timezone.now() - timedelta(hours=3))
    assert rollout_auto_rollback_check().rolled_back is False


def test_auto_rollback_in_shadow_does_nothing_and_is_idempotent(canary_account):
    _set_stage(RolloutStage.CANARY)
    scenario.ingests(canary_account, 20, captcha=8)
    assert rollout_auto_rollback_check().rolled_back is True
    assert rollout_auto_rollback_check().rolled_back is False
    assert StageChange.objects.count() == 1
