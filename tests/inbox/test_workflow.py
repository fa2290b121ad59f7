"""The workflow state machine: every allowed transition works; every other is refused and audited."""

from __future__ import annotations

import itertools

import pytest

from inbox.choices import FollowUpStage, ShowingState, WorkflowOutcome
from inbox.models import Conversation
from inbox.workflow import ALLOWED_TRANSITIONS, transition
from leasebot.core.models import AuditLog
from tests.inbox.factories import ConversationFactory

VALUES = {
    "workflow_outcome": WorkflowOutcome.values,
    "showing_state": ShowingState.values,
    "follow_up_stage": FollowUpStage.values,
}
PAIRS = [(field, a, b) for field, values in VALUES.items() for a, b in itertools.permutations(values, 2)]


def test_table_covers_every_value_of_every_field() -> None:
    for field, values in VALUES.items():
        assert set(ALLOWED_TRANSITIONS[field]) == set(values)
        for targets in ALLOWED_TRANSITIONS[field].values():
            assert targets <= set(values)


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "current", "to"), PAIRS)
def test_transition_applies_allowed_and_refuses_and_audits_the_rest(field: str, current: str, to: str) -> None:
    # given
    conversation = ConversationFactory(**{field: current})
    allowed = to in ALLOWED_TRANSITIONS[field][current]

    # when
    moved = transition(conversation, field=field, to=to, reason="test")

    # then
    stored = Conversation.objects.values_list(field, flat=True).get(pk=conversation.pk)
    audit = AuditLog.objects.filter(object_id=str(conversation.pk)).first()
    assert moved is allowed
    assert stored == (to if allowed else current)
    assert getattr(conversation, field) == stored
    assert audit is not None
    assert audit.action == ("workflow.transition" if allowed else "workflow.transition_refused")
    assert audit.before == {field: current}
    assert audit.after == {field: to}


@pytest.mark.django_db
def test_transition_to_an_invalid_value_is_refused_and_audited() -> None:
    conversation = ConversationFactory()

    assert transition(conversation, field="workflow_outcome", to="married") is False

    refused = AuditLog.objects.get(action="workflow.transition_refused")
    assert "not a valid" in refused.reason
    assert Conversation.objects.get(pk=conversation.pk).workflow_outcome == WorkflowOutcome.NEW


@pytest.mark.django_db
def test_transition_same_state_is_a_quiet_success() -> None:
    conversation = ConversationFactory()

    assert transition(conversation, field="showing_state", to=ShowingState.NONE) is True
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_transition_on_a_stale_instance_is_refused_not_overwritten() -> None:
    # given: another process moved the row on meanwhile
    conversation = ConversationFactory()
    Conversation.objects.filter(pk=conversation.pk).update(workflow_outcome=WorkflowOutcome.SPAM)

    # when: this stale copy still believes "new"
    moved = transition(conversation, field="workflow_outcome", to=WorkflowOutcome.QUALIFIED)

    # then
    assert moved is False
    assert Conversation.objects.get(pk=conversation.pk).workflow_outcome == WorkflowOutcome.SPAM
    assert AuditLog.objects.filter(action="workflow.transition_refused").exists()


def test_transition_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a workflow field"):
        transition(Conversation(), field="status", to="x")
