"""The two policy functions every other part calls."""

from __future__ import annotations

import pytest
import time_machine

from platforms import policies
from platforms.models import BotSettings, Platform, PlatformAccount
from platforms.policies import account_may_run, in_canary_share, policy_snapshot, resolve_send_mode
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _settings(**fields: object) -> None:
    BotSettings.objects.filter(pk=1).update(**fields)


def test_may_run_only_when_platform_and_account_active() -> None:
    account = PlatformAccountFactory()
    assert account_may_run(account).allowed
    Platform.objects.filter(pk=account.platform_id).update(is_active=False)
    verdict = account_may_run(account)
    assert not verdict.allowed
    assert "platform" in verdict.reason
    Platform.objects.filter(pk=account.platform_id).update(is_active=True)
    account.is_active = False
    account.save()
    verdict = account_may_run(account.pk)
    assert not verdict.allowed
    assert "account" in verdict.reason


def test_may_run_reads_fresh_not_the_stale_instance() -> None:
    account = PlatformAccountFactory()
    type(account).objects.filter(pk=account.pk).update(is_active=False)
    assert account.is_active  # The in-memory copy is stale...
    assert not account_may_run(account).allowed  # ...the policy is not.


@pytest.mark.parametrize(
    ("default", "override", "stage", "canary", "expected", "capped_by"),
    [
        ("draft_only", "", "full", False, "draft_only", ""),
        ("auto_send", "", "full", False, "auto_send", ""),
        ("auto_send", "draft_only", "full", False, "draft_only", ""),
        ("draft_only", "auto_send", "full", False, "auto_send", ""),
        ("auto_send", "", "shadow", False, "draft_only", "shadow"),
        ("auto_send", "", "shadow", True, "draft_only", "shadow"),
        ("auto_send", "", "canary", False, "draft_only", "canary"),
        ("auto_send", "", "canary", True, "auto_send", ""),
        ("draft_only", "", "canary", True, "draft_only", ""),
    ],
)
def test_resolve_send_mode_override_default_and_stage_cap(
    default: str, override: str, stage: str, canary: bool, expected: str, capped_by: str
) -> None:
    _settings(default_send_mode=default, rollout_stage=stage)
    account = PlatformAccountFactory(send_mode=override, is_canary=canary)
    resolved = resolve_send_mode(account)
    assert (resolved.effective, resolved.capped_by) == (expected, capped_by)
    assert resolved.shadow_would_send == (capped_by == "shadow")


def test_canary_share_is_sticky_per_conversation() -> None:
    picks = [in_canary_share(f"conv-{i}", 30) for i in range(1000)]
    assert 200 < sum(picks) < 400  # Roughly the share asked for...
    assert picks == [in_canary_share(f"conv-{i}", 30) for i in range(1000)]  # ...and the same every time.
    assert not in_canary_share("x", 0)
    assert in_canary_share("x", 100)


def test_canary_share_lets_a_non_canary_conversation_auto_send() -> None:
    _settings(default_send_mode="auto_send", rollout_stage="canary", canary_share_percent=100)
    account = PlatformAccountFactory(is_canary=False)
    assert resolve_send_mode(account, conversation_key="c1").auto_send


def test_mode_change_seen_by_the_very_next_call() -> None:
    _settings(default_send_mode="auto_send", rollout_stage="full")
    account = PlatformAccountFactory()
    assert resolve_send_mode(account).auto_send
    type(account).objects.filter(pk=account.pk).update(send_mode="draft_only")
    assert not resolve_send_mode(account).auto_send


def test_a_policy_snapshot_reads_once_and_only_for_a_second(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    with time_machine.travel(0, tick=False) as clock, policy_snapshot():
        with django_assert_num_queries(3):  # The account twice (may run, send mode) and the settings once.
            for _ in range(10):
                assert account_may_run(account.pk).allowed
                resolve_send_mode(account.pk)
        # a switch-off is seen once the snapshot's answer is older than its limit
        PlatformAccount.objects.filter(pk=account.pk).update(is_active=False)
        assert account_may_run(account.pk).allowed
        clock.shift(policies.SNAPSHOT_MAX_AGE_S + 0.1)
        assert not account_may_run(account.pk).allowed
    # outside a snapshot every call reads
    with django_assert_num_queries(2):
        account_may_run(account.pk)
        account_may_run(account.pk)
