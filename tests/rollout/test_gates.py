"""Gates: pass on a healthy ledger, fail on each breach, hold with too little data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.choices import AttemptOutcome, Stage
from dispatch.services import attempt_record
from inbox.choices import OutboundStatus
from inbox.models import Message, OutboundMessage
from rollout.gates import FAIL, HOLD, PASS, duplicate_send_count, gates_evaluate
from tests.rollout import scenario

pytestmark = pytest.mark.django_db


def _gates(**kwargs):  # type: ignore[no-untyped-def]
    return {g.name: g for g in gates_evaluate(**kwargs).gates}


def test_gates_healthy_ledger_passes_every_gate(canary_account, agent_user):
    # given
    scenario.healthy(canary_account, agent_user)
    # when
    report = gates_evaluate()
    # then
    assert report.status == PASS, [g.describe() for g in report.gates]
    gates = {g.name: g for g in report.gates}
    assert gates["dispatch_success"].value == 1.0
    assert gates["duplicate_sends"].value == 0
    assert gates["shadow_agreement"].numerator == 10


def test_gates_empty_ledger_holds_and_does_not_pass(db):
    report = gates_evaluate()
    assert report.status == HOLD
    assert {g.status for g in report.gates} == {HOLD}


def test_dispatch_success_counts_retries_then_sent_as_success(canary_account):
    # given: every send needed two retries first, one row died
    for _ in range(49):
        scenario.sent(canary_account, retries=2)
    scenario.dead(canary_account)
    # when
    gate = _gates()["dispatch_success"]
    # then: 49 / 50 = 0.98, right on the threshold
    assert (gate.numerator, gate.denominator) == (49, 50)
    assert gate.value == pytest.approx(0.98)
    assert gate.status == PASS


def test_dispatch_success_below_98_percent_fails(canary_account):
    for _ in range(9):
        scenario.sent(canary_account)
    scenario.dead(canary_account)
    gate = _gates()["dispatch_success"]
    assert gate.value == pytest.approx(0.9)
    assert gate.status == FAIL


def test_dispatch_success_ignores_rows_still_in_flight(canary_account):
    for _ in range(10):
        scenario.sent(canary_account)
    row = scenario.sent(canary_account)
    OutboundMessage.objects.filter(pk=row.pk).update(status=OutboundStatus.FAILED)
    gate = _gates()["dispatch_success"]
    assert (gate.numerator, gate.denominator) == (10, 10)


def test_dispatch_success_outside_window_is_not_counted(canary_account):
    old = timezone.now() - timedelta(days=3)
    for _ in range(10):
        scenario.dead(canary_account, at=old)
    assert _gates()["dispatch_success"].denominator == 0


def test_duplicate_two_success_attempts_for_one_row_fails_at_once(canary_account):
    # given: a single send (far below the minimum sample) that succeeded twice
    row = scenario.sent(canary_account)
    attempt_record(
        account=canary_account,
        stage=Stage.SEND,
        outcome=AttemptOutcome.SUCCESS,
        started_at=timezone.now(),
        outbound=row,
    )
    # then: a duplicate fails whatever the sample size
    gate = _gates()["duplicate_sends"]
    assert gate.status == FAIL
    assert duplicate_send_count(timezone.now() - timedelta(hours=1), timezone.now())["ledger"] == 1


def test_duplicate_two_sent_replies_to_one_inbound_fail(canary_account):
    first = scenario.sent(canary_account)
    OutboundMessage.objects.create(
        conversation=first.conversation,
        account=canary_account,
        in_reply_to=first.in_reply_to,
        purpose="reply",
        source="bot",
        dispatch_key="dup:other-key",
        body="Another reply",
        status=OutboundStatus.SENT,
        sent_at=timezone.now(),
    )
    counts = duplicate_send_count(timezone.now() - timedelta(hours=1), timezone.now() + timedelta(seconds=1))
    assert counts["same_cause"] == 1
    assert _gates(now=timezone.now() + timedelta(seconds=1))["duplicate_sends"].status == FAIL


def test_duplicate_extra_platform_copy_fails(canary_account):
    row = scenario.sent(canary_account)
    Message.objects.create(
        conversation=row.conversation,
        direction="out",
        platform_message_ref="copy-2",
        body=row.body,
        sent_at=timezone.now(),
        sent_by_bot=True,
    )
    counts = duplicate_send_count(timezone.now() - timedelta(hours=1), timezone.now() + timedelta(seconds=1))
    assert counts == {"ledger": 0, "same_cause": 0, "platform": 1}


def test_dead_letter_rate_above_threshold_fails(canary_account, settings):
    settings.LEASEBOT_GATE_DEAD_LETTER_RATE_MAX = 0.05
    scenario.ingests(canary_account, 18)
    scenario.dead(canary_account)
    scenario.dead(canary_account)
    gate = _gates()["dead_letter_rate"]
    assert (gate.numerator, gate.denominator) == (2, 20)
    assert gate.status == FAIL


def test_captcha_block_rate_counts_both_classes(canary_account):
    scenario.ingests(canary_account, 20, captcha=1, blocked=1)
    gate = _gates()["captcha_block_rate"]
    assert (gate.numerator, gate.denominator) == (2, 20)
    assert gate.status == FAIL  # 10% against a 2% ceiling


def test_guardrail_hold_rate_above_threshold_fails(canary_account):
    scenario.drafts(canary_account, 10, held=4)
    gate = _gates()["guardrail_hold_rate"]
    assert (gate.numerator, gate.denominator) == (4, 10)
    assert gate.status == FAIL


def test_shadow_agreement_counts_unchanged_approvals(canary_account, agent_user):
    scenario.approvals(canary_account, agent_user, 10, edited=3)
    gate = _gates()["shadow_agreement"]
    assert (gate.numerator, gate.denominator) == (7, 10)
    assert gate.status == FAIL  # 70% against an 80% floor


def test_rate_gate_below_minimum_sample_holds_even_when_bad(canary_account):
    scenario.ingests(canary_account, 5, captcha=5)
    gate = _gates()["captcha_block_rate"]
    assert gate.status == HOLD
    assert gate.value == 1.0


def test_thresholds_are_read_from_settings(canary_account, settings):
    scenario.ingests(canary_account, 20, captcha=1, blocked=1)
    settings.LEASEBOT_GATE_CAPTCHA_BLOCK_RATE_MAX = 0.2
    assert _gates()["captcha_block_rate"].status == PASS


def test_gates_scoped_to_accounts(canary_account, auto_account):
    scenario.ingests(auto_account, 20, captcha=10)
    scenario.ingests(canary_account, 20)
    assert _gates(account_ids=[canary_account.pk])["captcha_block_rate"].status == PASS
    assert _gates()["captcha_block_rate"].status == FAIL
