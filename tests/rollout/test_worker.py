"""The beat-named check runs on a real Celery worker and rolls a breached canary back."""

from __future__ import annotations

import pytest

from leasebot.celery import app
from platforms.choices import RolloutStage, SendMode
from platforms.models import BotSettings
from platforms.policies import resolve_send_mode
from rollout.models import StageChange
from tests.rollout import scenario
from tests.support import eventually

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_auto_rollback_check_on_a_real_worker(canary_account, celery_worker_factory, purge_broker):
    # given: canary with a captcha storm big enough for the worker's default minimum sample (50)
    BotSettings.objects.filter(pk=1).update(rollout_stage=RolloutStage.CANARY)
    scenario.ingests(canary_account, 60, captcha=20)
    assert resolve_send_mode(canary_account).effective == SendMode.AUTO_SEND
    celery_worker_factory(queues="default")
    # when: the task beat sends every 60 s, by its registered name
    app.send_task("rollout.auto_rollback_check")
    # then: rolled back by that one run, and the very next policy read in any process drafts instead
    eventually(lambda: StageChange.objects.exists(), "the worker's rollback check to change the stage")
    assert BotSettings.load().rollout_stage == RolloutStage.SHADOW
    assert resolve_send_mode(canary_account).effective == SendMode.DRAFT_ONLY
    assert StageChange.objects.get().automatic is True
