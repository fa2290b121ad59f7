"""Gate minimum samples small enough that a scenario of ten rows can be judged."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import DispatchAttempt
from inbox.choices import OutboundStatus
from inbox.models import Conversation, Decision, Showing
from leasebot.core import metrics
from leasebot.core.services import audit_record
from platforms.models import Platform
from rollout.models import StageChange
from tests.inbox.factories import UnitFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory
from tests.rollout import scenario


@pytest.fixture(autouse=True)
def small_gate_samples(settings):  # type: ignore[no-untyped-def]
    settings.LEASEBOT_GATE_MIN_SENDS = 10
    settings.LEASEBOT_GATE_MIN_ATTEMPTS = 10
    settings.LEASEBOT_GATE_MIN_DRAFTS = 10
    settings.LEASEBOT_GATE_MIN_REVIEWED = 10
    return settings


@pytest.fixture
def auto_account(db):  # type: ignore[no-untyped-def]
    """An auto-send account, not canary."""
    return PlatformAccountFactory(label="auto", send_mode="auto_send")


@pytest.fixture
def canary_account(db):  # type: ignore[no-untyped-def]
    """An auto-send account marked canary."""
    return PlatformAccountFactory(label="canary", send_mode="auto_send", is_canary=True)


# --- A known operations scenario, written through the real ledger services ---


@dataclasses.dataclass
class Ops:
    spareroom: object
    roomies: object
    stage_changed_at: object


def _slot(source: dict) -> dict:  # type: ignore[type-arg]
    return {"starts_at": "2030-01-01T15:00:00+00:00", "ends_at": "2030-01-01T15:30:00+00:00", "source": source}


@pytest.fixture
def ops_scenario(db) -> Ops:  # type: ignore[no-untyped-def]
    """Spareroom: 3 sent (one after a retry), 2 drafts (one held). Roomies: 1 dead, 2 ingests (one captcha).

    The stage went shadow -> canary 30 minutes ago; the spareroom sends happened before
    it, the roomies jobs after it.
    """
    now = timezone.now()
    before = now - timedelta(hours=1)
    spareroom = PlatformAccountFactory(label="sr")
    roomies = PlatformAccountFactory(label="rm", platform=Platform.objects.get(slug="roomies"))
    scenario.sent(spareroom, at=before)
    scenario.sent(spareroom, at=before)
    scenario.sent(spareroom, at=before, retries=1)
    scenario.drafts(spareroom, 2, held=1)
    scenario.dead(roomies)
    scenario.ingests(roomies, 2, captcha=1)
    change = StageChange.objects.create(from_stage="shadow", to_stage="canary", actor_label="system:test")
    StageChange.objects.filter(pk=change.pk).update(created_at=now - timedelta(minutes=30))
    # Linkage: of the spareroom conversations, 4 by reference, 1 unlinked; roomies' one still pending.
    convs = list(Conversation.objects.filter(account=spareroom).order_by("pk"))
    Conversation.objects.filter(pk__in=[c.pk for c in convs[:4]]).update(linkage_status="by_reference")
    Conversation.objects.filter(pk=convs[4].pk).update(
        linkage_status="unlinked", human_required=True, human_required_since=now - timedelta(minutes=10)
    )
    # Slots: one decision offered two slots, one showing booked from a primary assignment.
    unit = UnitFactory()
    agent = UserFactory(role="agent")
    first = convs[0].messages.first()
    Decision.objects.create(
        conversation=convs[0],
        message=first,
        engine="rules",
        intent="showing_request",
        workflow_outcome="engaged",
        showing_state="offered",
        follow_up_stage="none",
        offered_slots=[
            _slot(
                {
                    "unit_window": {"rule_id": 1, "kind": "weekly"},
                    "agent_window": {"rule_id": 2, "kind": "weekly"},
                    "assignment": {"id": 1, "is_primary": True},
                }
            ),
            _slot(
                {
                    "unit_window": {"rule_id": 1, "kind": "override"},
                    "agent_window": {"rule_id": 3, "kind": "weekly"},
                    "assignment": {"id": 2, "is_primary": False},
                }
            ),
        ],
    )
    Showing.objects.create(
        unit=unit,
        agent=agent,
        conversation=convs[0],
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, minutes=30),
        source={
            "unit_window": {"rule_id": 1, "kind": "weekly"},
            "agent_window": {"rule_id": 2, "kind": "weekly"},
            "assignment": {"id": 1, "is_primary": True},
        },
    )
    audit_record(action="workflow.transition", system="test", obj=convs[0])
    audit_record(action="workflow.transition", system="test", obj=convs[1])
    audit_record(action="workflow.transition_refused", system="test", obj=convs[2])
    metrics.inc("leasebot_workflow_transitions_total", field="workflow_outcome", outcome="applied")
    metrics.inc("leasebot_workflow_transitions_total", field="workflow_outcome", outcome="applied")
    metrics.inc("leasebot_workflow_transitions_total", field="showing_state", outcome="refused")
    assert DispatchAttempt.objects.count() == 1 + 1 + 2 + 1 + 2  # 3 success, 1 retry, 1 fail, 2 ingests
    assert OutboundStatus.SENT  # Keep the import meaningful for readers of the scenario.
    return Ops(spareroom, roomies, now - timedelta(minutes=30))
