"""The workflow state machine: the only code that changes a conversation's three state fields.

``ALLOWED_TRANSITIONS`` is the whole truth: for each field, each state lists the states it
may move to. Anything else is refused and audited, never silently applied. Valid values
are also CHECK constraints in the database. Moving to the state a field already has is a
no-op that succeeds (the engine re-asserts states freely).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from inbox.choices import FollowUpStage, ShowingState, WorkflowOutcome
from inbox.models import Conversation
from leasebot.core import metrics
from leasebot.core.services import audit_record

Out, S, F = WorkflowOutcome, ShowingState, FollowUpStage

ALLOWED_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "workflow_outcome": {
        Out.NEW: frozenset(
            {Out.ENGAGED, Out.QUALIFIED, Out.APPLICATION, Out.NOT_INTERESTED, Out.OPTED_OUT, Out.SPAM, Out.CLOSED}
        ),
        Out.ENGAGED: frozenset(
            {Out.QUALIFIED, Out.APPLICATION, Out.NOT_INTERESTED, Out.OPTED_OUT, Out.SPAM, Out.CLOSED}
        ),
        Out.QUALIFIED: frozenset({Out.APPLICATION, Out.NOT_INTERESTED, Out.OPTED_OUT, Out.SPAM, Out.CLOSED}),
        Out.APPLICATION: frozenset({Out.NOT_INTERESTED, Out.OPTED_OUT, Out.CLOSED}),
        # A renter who said no, or a quiet closed thread, comes back to life with a new message.
        Out.NOT_INTERESTED: frozenset({Out.ENGAGED, Out.OPTED_OUT, Out.CLOSED}),
        # Only an agent lifting the suppression reopens an opted-out conversation.
        Out.OPTED_OUT: frozenset({Out.ENGAGED, Out.CLOSED}),
        # An agent may overrule a spam verdict.
        Out.SPAM: frozenset({Out.ENGAGED, Out.CLOSED}),
        Out.CLOSED: frozenset({Out.ENGAGED, Out.OPTED_OUT}),
    },
    "showing_state": {
        S.NONE: frozenset({S.OFFERED, S.BOOKED}),
        S.OFFERED: frozenset({S.NONE, S.BOOKED, S.CANCELLED}),
        S.BOOKED: frozenset({S.RESCHEDULING, S.CANCELLED, S.COMPLETED, S.NO_SHOW}),
        S.RESCHEDULING: frozenset({S.BOOKED, S.CANCELLED}),
        S.CANCELLED: frozenset({S.OFFERED, S.BOOKED, S.NONE}),
        S.COMPLETED: frozenset({S.OFFERED, S.BOOKED}),
        S.NO_SHOW: frozenset({S.OFFERED, S.BOOKED, S.CANCELLED}),
    },
    "follow_up_stage": {
        F.NONE: frozenset({F.FIRST, F.STOPPED}),
        F.FIRST: frozenset({F.SECOND, F.NONE, F.STOPPED}),
        F.SECOND: frozenset({F.FINAL, F.NONE, F.STOPPED}),
        F.FINAL: frozenset({F.NONE, F.STOPPED}),
        F.STOPPED: frozenset({F.NONE}),
    },
}
FIELDS = tuple(ALLOWED_TRANSITIONS)


def is_allowed(field: str, current: str, to: str) -> bool:
    """Tell whether the table allows ``current -> to`` for ``field`` (same state counts as allowed)."""
    table = ALLOWED_TRANSITIONS.get(field)
    if table is None or to not in table:
        return False
    return current == to or to in table.get(current, frozenset())


def transition(conversation: Conversation, *, field: str, to: str, actor: Any = None, reason: str = "") -> bool:
    """Move one state field of ``conversation`` to ``to`` if the table allows it; return whether it moved.

    The write is a compare-and-set (``UPDATE ... WHERE field = current``), so a concurrent
    change is refused rather than overwritten. A refusal is audited and counted.
    """
    if field not in ALLOWED_TRANSITIONS:
        raise ValueError(f"{field!r} is not a workflow field; use one of {FIELDS}")
    current = getattr(conversation, field)
    if current == to and to in ALLOWED_TRANSITIONS[field]:
        return True
    applied = False
    allowed = is_allowed(field, current, to)
    if allowed:
        applied = bool(
            Conversation.objects.filter(pk=conversation.pk, **{field: current}).update(
                **{field: to, "updated_at": timezone.now()}
            )
        )
    audit_record(
        action="workflow.transition" if applied else "workflow.transition_refused",
        actor=actor,
        system="workflow",
        obj=conversation,
        before={field: current},
        after={field: to},
        reason=reason if applied else (reason + " | " if reason else "") + _refusal(field, current, to, allowed),
    )
    metrics.inc("leasebot_workflow_transitions_total", field=field, outcome="applied" if applied else "refused")
    if applied:
        setattr(conversation, field, to)
    return applied


def _refusal(field: str, current: str, to: str, attempted: bool) -> str:
    if attempted:
        return f"{field} changed concurrently; {current} -> {to} not applied"
    if to not in ALLOWED_TRANSITIONS[field]:
        return f"{to!r} is not a valid {field}"
    return f"{field} {current} -> {to} is not an allowed transition"
