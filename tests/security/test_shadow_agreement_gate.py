"""Issue 18: the shadow-agreement gate counts rejected and replaced bot drafts as disagreement.

Before the fix the gate read only approved drafts: a bot whose drafts agents mostly rejected
(or answered themselves) passed on the few they approved unchanged, and the rollout could be
promoted on that.
"""

from __future__ import annotations

from typing import Any

import pytest

from inbox.choices import OutboundStatus, ReasonCode
from inbox.models import OutboundMessage
from inbox.services import outbound_cancel_for_conversation, outbound_reject
from inbox.services.handover import conversation_take_over
from rollout.gates import FAIL, PASS, gates_evaluate
from tests.inbox.factories import OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory
from tests.rollout import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_sample(settings: Any) -> None:
    settings.LEASEBOT_GATE_MIN_REVIEWED = 10
    settings.LEASEBOT_GATE_SHADOW_AGREEMENT_MIN = 0.8


@pytest.fixture
def account() -> Any:
    return PlatformAccountFactory(label="shadow", send_mode="draft_only")


@pytest.fixture
def agent() -> Any:
    return UserFactory(username="shadow-agent", role="agent")


def _bot_draft(account: Any) -> OutboundMessage:
    message = scenario.inbound(account)
    return OutboundFactory(
        conversation=message.conversation,
        in_reply_to=message,
        source="bot",
        body=scenario.REPLY,
        original_body=scenario.REPLY,
        status=OutboundStatus.PENDING_REVIEW,
    )


def _gate(**kwargs: Any) -> Any:
    return {g.name: g for g in gates_evaluate(**kwargs).gates}["shadow_agreement"]


def test_rejected_drafts_count_as_disagreement(account: Any, agent: Any) -> None:
    # given: 10 drafts approved unchanged, 5 rejected by the agent
    scenario.approvals(account, agent, 10)
    for _ in range(5):
        outbound_reject(outbound_id=_bot_draft(account).pk, actor=agent, reason="wrong room")
    # when
    gate = _gate()
    # then: 10 of 15 judged drafts agreed, under the 80% floor
    assert (gate.numerator, gate.denominator) == (10, 15)
    assert gate.status == FAIL
    assert "5 rejected or replaced" in gate.detail


def test_drafts_replaced_by_a_person_count_as_disagreement(account: Any, agent: Any) -> None:
    # given: 10 unchanged approvals; one draft dropped by a take-over, one by a reply typed on the platform
    scenario.approvals(account, agent, 10)
    taken = _bot_draft(account)
    conversation_take_over(conversation_id=taken.conversation_id, agent=agent)
    typed = _bot_draft(account)
    outbound_cancel_for_conversation(conversation_id=typed.conversation_id, reason=str(ReasonCode.HUMAN_REPLIED))
    # when
    gate = _gate()
    # then
    assert OutboundMessage.objects.filter(pk__in=[taken.pk, typed.pk], status=OutboundStatus.CANCELLED).count() == 2
    assert (gate.numerator, gate.denominator) == (10, 12)
    assert gate.status == PASS  # 83% is still over the floor


def test_drafts_withdrawn_for_the_renter_are_no_disagreement(account: Any, agent: Any) -> None:
    # given: a renter who opted out; their pending draft is withdrawn, nobody judged it
    scenario.approvals(account, agent, 10)
    draft = _bot_draft(account)
    outbound_cancel_for_conversation(conversation_id=draft.conversation_id, reason=str(ReasonCode.OPT_OUT))
    # then
    gate = _gate()
    assert (gate.numerator, gate.denominator) == (10, 10)
    assert gate.status == PASS


def test_rejections_on_another_account_stay_out_of_a_scoped_gate(account: Any, agent: Any) -> None:
    other = PlatformAccountFactory(label="other")
    scenario.approvals(account, agent, 10)
    for _ in range(5):
        outbound_reject(outbound_id=_bot_draft(other).pk, actor=agent, reason="wrong room")
    assert (_gate(account_ids=[account.pk]).denominator, _gate().denominator) == (10, 15)
