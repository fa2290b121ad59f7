"""Promote with evidence, force only with a reason, roll back at once, and the shadow stage's promise."""

from __future__ import annotations

import pytest

from inbox.choices import OutboundStatus
from inbox.services import outbound_create
from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.models import AuditLog
from platforms.choices import RolloutStage, SendMode
from platforms.models import BotSettings, PlatformAccount
from platforms.policies import resolve_send_mode
from rollout.models import StageChange
from rollout.services import GateRefused, rollout_promote, rollout_rollback
from tests.inbox.factories import MessageFactory
from tests.rollout import scenario

pytestmark = pytest.mark.django_db


def _stage() -> str:
    return BotSettings.load().rollout_stage


def _set_stage(stage: str) -> None:
    BotSettings.objects.filter(pk=1).update(rollout_stage=stage)


def test_promote_refuses_on_failing_gate_with_the_figures(canary_account, agent_user, admin_user):
    # given: a healthy fleet but one dead letter too many for 98%
    scenario.healthy(canary_account, agent_user)
    scenario.dead(canary_account)
    # when
    with pytest.raises(GateRefused) as refused:
        rollout_promote(to="canary", actor=admin_user)
    # then
    assert "dispatch_success: FAIL" in refused.value.message
    assert refused.value.extra["gates"]["gates"]["dispatch_success"]["status"] == "fail"
    assert _stage() == RolloutStage.SHADOW
    assert not StageChange.objects.exists()


def test_promote_passes_on_good_gates_and_is_audited(canary_account, agent_user, admin_user):
    scenario.healthy(canary_account, agent_user)
    change = rollout_promote(to="canary", actor=admin_user, reason="week of clean shadow")
    assert _stage() == RolloutStage.CANARY
    assert (change.from_stage, change.to_stage, change.forced, change.actor_label) == (
        "shadow",
        "canary",
        False,
        admin_user.username,
    )
    assert change.gate_figures["status"] == "pass"
    promote = AuditLog.objects.get(action="rollout.promote")
    assert promote.actor == admin_user
    assert promote.reason == "week of clean shadow"
    assert AuditLog.objects.filter(action="settings.rollout_stage", after={"rollout_stage": "canary"}).exists()


def test_promote_holds_with_too_little_data(canary_account, admin_user):
    scenario.sent(canary_account)
    with pytest.raises(GateRefused) as refused:
        rollout_promote(to="canary", actor=admin_user)
    assert "gates hold" in refused.value.message
    assert _stage() == RolloutStage.SHADOW


def test_promote_force_needs_a_reason(canary_account, admin_user):
    with pytest.raises(ValidationFailed, match="reason"):
        rollout_promote(to="canary", actor=admin_user, force=True)
    assert _stage() == RolloutStage.SHADOW


def test_promote_forced_with_reason_is_recorded_as_forced(canary_account, admin_user):
    change = rollout_promote(to="canary", actor=admin_user, force=True, reason="hotfix verified by hand")
    assert _stage() == RolloutStage.CANARY
    assert change.forced is True
    row = AuditLog.objects.get(action="rollout.promote_forced")
    assert row.reason == "hotfix verified by hand"
    assert row.after["gates"] == "hold"


def test_promote_one_stage_at_a_time(canary_account, admin_user):
    with pytest.raises(NotAllowed, match="one stage at a time"):
        rollout_promote(to="full", actor=admin_user, force=True, reason="skip")


def test_promote_to_canary_without_canary_accounts_is_refused(auto_account, admin_user):
    with pytest.raises(NotAllowed, match="canary would send nothing"):
        rollout_promote(to="canary", actor=admin_user, force=True, reason="x")


def test_promote_accounts_become_exactly_the_canary_set(canary_account, auto_account, agent_user, admin_user):
    scenario.healthy(canary_account, agent_user)
    rollout_promote(to="canary", actor=admin_user, accounts=[f"spareroom/{auto_account.label}"])
    assert list(PlatformAccount.objects.filter(is_canary=True)) == [auto_account]
    assert AuditLog.objects.filter(action="account.is_canary").count() == 2


def test_promote_unknown_account_is_refused(canary_account, admin_user):
    with pytest.raises(ValidationFailed, match="unknown account"):
        rollout_promote(to="canary", actor=admin_user, accounts=["spareroom/nope"], force=True, reason="x")


def test_rollback_is_immediate_and_the_policy_obeys_on_the_next_call(canary_account, auto_account, admin_user):
    # given: full, so the non-canary auto-send account sends
    _set_stage(RolloutStage.FULL)
    assert resolve_send_mode(auto_account).effective == SendMode.AUTO_SEND
    # when
    change = rollout_rollback(actor=admin_user, reason="complaints")
    after_full = resolve_send_mode(auto_account)
    # then: back to canary; only the canary account still auto-sends
    assert (change.from_stage, change.to_stage) == ("full", "canary")
    assert after_full.effective == SendMode.DRAFT_ONLY
    assert after_full.capped_by == RolloutStage.CANARY
    assert resolve_send_mode(canary_account).effective == SendMode.AUTO_SEND
    rollout_rollback(actor=admin_user, reason="still bad")
    assert resolve_send_mode(canary_account).shadow_would_send is True
    assert _stage() == RolloutStage.SHADOW  # Stored when the call returns: nothing is left to happen later.
    assert AuditLog.objects.filter(action="rollout.rollback").count() == 2


def test_rollback_in_shadow_is_refused(db, admin_user):
    with pytest.raises(NotAllowed, match="already shadow"):
        rollout_rollback(actor=admin_user)


def test_shadow_drafts_everything_and_sends_nothing(auto_account, django_capture_on_commit_callbacks):
    # given: an auto-send account in the shadow stage
    assert _stage() == RolloutStage.SHADOW
    messages = [
        MessageFactory(conversation__account=auto_account, body=f"Is the room available? ({i})") for i in range(5)
    ]
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        rows = [
            outbound_create(
                conversation=m.conversation,
                body="Yes, it is available from June 1.",
                purpose="reply",
                dispatch_key=f"shadow:{m.pk}",
                in_reply_to=m,
            )
            for m in messages
        ]
    # then: all drafts, each marked as what would have been sent, nothing enqueued
    assert {r.status for r in rows} == {OutboundStatus.DRAFT}
    assert all(r.shadow_would_send for r in rows)
    assert callbacks == []


def test_canary_sends_only_for_canary_accounts(canary_account, auto_account, django_capture_on_commit_callbacks):
    _set_stage(RolloutStage.CANARY)
    on_canary = MessageFactory(conversation__account=canary_account)
    elsewhere = MessageFactory(conversation__account=auto_account)
    with django_capture_on_commit_callbacks():
        queued = outbound_create(
            conversation=on_canary.conversation,
            body="Yes, available.",
            purpose="reply",
            dispatch_key="c:1",
            in_reply_to=on_canary,
        )
        drafted = outbound_create(
            conversation=elsewhere.conversation,
            body="Yes, available.",
            purpose="reply",
            dispatch_key="c:2",
            in_reply_to=elsewhere,
        )
    assert queued.status == OutboundStatus.QUEUED
    assert drafted.status == OutboundStatus.DRAFT
    assert drafted.shadow_would_send is False
