"""The agents' status of a conversation: resolve, snooze until a time, reopen; a renter's message wakes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from inbox import holds
from inbox.choices import ConversationStatus, ReasonCode
from inbox.models import Conversation
from inbox.services import conversation_escalate, conversation_reopen, conversation_resolve, conversation_snooze
from inbox.services.store import message_store
from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.models import AuditLog
from platforms.connectors.base import Inbound
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 11, 13, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _audit(conversation: Conversation, action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(object_id=str(conversation.pk), action=action).order_by("id"))


def test_resolve_clears_escalation_and_is_audited(conversation: Any, agent_user: Any) -> None:
    # given: a conversation waiting for a person
    conversation_escalate(conversation_id=conversation.pk, reasons=[holds.HoldReason.of(ReasonCode.LOW_CONFIDENCE)])
    # when
    conversation_resolve(conversation_id=conversation.pk, actor=agent_user, reason="answered by phone")
    # then
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.RESOLVED
    assert not conversation.human_required
    assert conversation.status_changed_by == agent_user
    (row,) = _audit(conversation, "conversation.resolve")
    assert row.actor_label == "bob-agent"
    assert row.reason == "answered by phone"
    assert row.before["status"] == "open"
    assert row.before["human_required"] is True
    assert row.after == {"status": "resolved", "snoozed_until": None}


def test_resolve_with_a_draft_waiting_is_refused(draft: Any, agent_user: Any) -> None:
    with pytest.raises(NotAllowed, match="approve or reject it first"):
        conversation_resolve(conversation_id=draft.conversation_id, actor=agent_user)
    assert Conversation.objects.get(pk=draft.conversation_id).status == ConversationStatus.OPEN


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (NOW - dt.timedelta(hours=1), "in the future"),
        (NOW + dt.timedelta(days=31), "at most 30 days"),
        (dt.datetime(2027, 1, 12, 9, 0), "time zone"),  # noqa: DTZ001 - the naive time is the point.
    ],
)
def test_snooze_refuses_a_bad_time(conversation: Any, agent_user: Any, until: dt.datetime, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        conversation_snooze(conversation_id=conversation.pk, actor=agent_user, until=until)


def test_snooze_runs_out_by_time_and_reads_open(conversation: Any, agent_user: Any, clock: Any) -> None:
    until = NOW + dt.timedelta(hours=3)
    conversation_snooze(conversation_id=conversation.pk, actor=agent_user, until=until, reason="call back at 11")
    conversation.refresh_from_db()
    assert conversation.current_status() == ConversationStatus.SNOOZED
    (row,) = _audit(conversation, "conversation.snooze")
    assert row.after["snoozed_until"] == until.isoformat()
    clock.move_to(until + dt.timedelta(seconds=1))
    assert conversation.current_status() == ConversationStatus.OPEN


def test_renter_message_wakes_a_snoozed_conversation_and_puts_it_in_front_of_a_person(
    conversation: Any, agent_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: snoozed until tomorrow
    conversation_snooze(conversation_id=conversation.pk, actor=agent_user, until=NOW + dt.timedelta(days=1))
    # when: the renter writes
    item = Inbound(
        thread_ref=conversation.thread_ref,
        message_ref="wake-1",
        sender_name="Jamie Renter",
        body="Any news about the room?",
        sent_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        message_store(account=conversation.account, item=item)
    # then: open again, needing a person, and the reopening is audited
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.snoozed_until is None
    assert conversation.human_required
    assert holds.has(conversation.human_reasons, ReasonCode.RENTER_WROTE)
    (row,) = _audit(conversation, "conversation.escalate")
    assert row.after["status"] == {"from": "snoozed", "to": "open"}
    assert "the conversation was snoozed" in conversation.human_reason


def test_renter_message_into_an_open_conversation_changes_no_status(conversation: Any) -> None:
    item = Inbound(
        thread_ref=conversation.thread_ref, message_ref="m-2", sender_name="J", body="Hi", sent_at=timezone.now()
    )
    message_store(account=conversation.account, item=item)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert not conversation.human_required


def test_reopen_is_audited_and_idempotent(conversation: Any, agent_user: Any) -> None:
    conversation_resolve(conversation_id=conversation.pk, actor=agent_user)
    conversation_reopen(conversation_id=conversation.pk, actor=agent_user)
    conversation_reopen(conversation_id=conversation.pk, actor=agent_user)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert len(_audit(conversation, "conversation.reopen")) == 1


# The API: actions, tabs (conversation_status), unit and reason filters, the queue.


def test_api_resolve_snooze_reopen(agent_client: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/"
    until = (NOW + dt.timedelta(hours=2)).isoformat()
    body = agent_client.post(url + "snooze/", {"until": until}, format="json").json()
    assert body["status"] == "snoozed"
    assert body["snoozed_until"] == until.replace("+00:00", "Z")
    assert agent_client.post(url + "resolve/", {}, format="json").status_code == 200
    body = agent_client.post(url + "reopen/", {}, format="json").json()
    assert body["status"] == "open"


def test_api_snooze_bad_input_is_400_and_draft_is_409(agent_client: Any, draft: Any) -> None:
    url = f"/api/v1/conversations/{draft.conversation_id}/"
    assert agent_client.post(url + "snooze/", {"until": "tomorrow"}, format="json").status_code == 400
    past = agent_client.post(url + "snooze/", {"until": "2020-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400
    assert "future" in str(past.json())
    refused = agent_client.post(url + "resolve/", {}, format="json")
    assert refused.status_code == 409
    assert "approve or reject" in refused.json()["detail"]


@pytest.mark.parametrize(
    "until",
    ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00"],
)
def test_api_snooze_to_the_calendars_ends_is_a_400_not_a_500(agent_client: Any, conversation: Any, until: str) -> None:
    answer = agent_client.post(f"/api/v1/conversations/{conversation.pk}/snooze/", {"until": until}, format="json")
    assert answer.status_code == 400, answer.content


def test_api_status_actions_outside_scope_are_404_and_ops_403(
    agent_client: Any, ops_client: Any, foreign_conversation: Any, conversation: Any
) -> None:
    assert agent_client.post(f"/api/v1/conversations/{foreign_conversation.pk}/resolve/", {}).status_code == 404
    assert ops_client.post(f"/api/v1/conversations/{conversation.pk}/resolve/", {}).status_code == 403


def test_api_tabs_by_status(agent_client: Any, granted: Any, agent_user: Any, clock: Any) -> None:
    open_one = ConversationFactory(account=granted, human_required=True)
    resolved = ConversationFactory(account=granted)
    snoozed = ConversationFactory(account=granted, human_required=True)
    waking = ConversationFactory(account=granted, human_required=True)
    conversation_resolve(conversation_id=resolved.pk, actor=agent_user)
    conversation_snooze(conversation_id=snoozed.pk, actor=agent_user, until=NOW + dt.timedelta(days=2))
    conversation_snooze(conversation_id=waking.pk, actor=agent_user, until=NOW + dt.timedelta(hours=1))
    clock.move_to(NOW + dt.timedelta(hours=2))

    def ids(query: str) -> set[int]:
        return {row["id"] for row in agent_client.get(f"/api/v1/conversations/?{query}").json()["results"]}

    assert ids("conversation_status=open") == {open_one.pk, waking.pk}
    assert ids("conversation_status=snoozed") == {snoozed.pk}
    assert ids("conversation_status=resolved") == {resolved.pk}
    assert ids("conversation_status=open&human_required=true") == {open_one.pk, waking.pk}
    assert agent_client.get("/api/v1/conversations/?conversation_status=closed").status_code == 400
    # The queue and the badge hide the escalation that still sleeps.
    queue = agent_client.get("/api/v1/review/queue/").json()
    assert {i["conversation"] for i in queue["items"]} == {open_one.pk, waking.pk}
    assert agent_client.get("/api/v1/review/counts/").json()["escalations"] == 2


def test_api_unit_and_reason_filters_on_list_and_queue(
    agent_client: Any, granted: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.inbox.factories import UnitFactory

    unit = UnitFactory(name="Unit 4B")
    reasons = holds.dump([holds.HoldReason.of(ReasonCode.UNLINKED)])
    linked = ConversationFactory(account=granted, unit=unit, human_required=True, human_reasons=reasons)
    bare = ConversationFactory(account=granted, human_required=True, human_reasons=reasons)
    held = ConversationFactory(account=granted, unit=unit)
    OutboundFactory(conversation=held, hold_reasons=holds.dump([holds.HoldReason.of(ReasonCode.LOW_CONFIDENCE)]))
    for n in range(6):
        conv = ConversationFactory(account=granted, unit=unit if n % 2 else None, renter_name=f"R {n}")
        MessageFactory(conversation=conv)

    def ids(path: str) -> set[int]:
        data = agent_client.get(path).json()
        rows = data["results"] if "results" in data else data["items"]
        return {row["conversation"] if "conversation" in row else row["id"] for row in rows}

    assert linked.pk in ids(f"/api/v1/conversations/?unit={unit.pk}")
    assert bare.pk not in ids(f"/api/v1/conversations/?unit={unit.pk}")
    assert bare.pk in ids("/api/v1/conversations/?unit=none")
    assert ids(f"/api/v1/conversations/?reason={ReasonCode.UNLINKED}") == {linked.pk, bare.pk}
    assert ids(f"/api/v1/conversations/?reason={ReasonCode.LOW_CONFIDENCE}") == {held.pk}
    assert ids(f"/api/v1/review/queue/?unit={unit.pk}") == {linked.pk, held.pk}
    assert ids("/api/v1/review/queue/?unit=none") == {bare.pk}
    assert ids(f"/api/v1/review/queue/?reason={ReasonCode.UNLINKED}") == {linked.pk, bare.pk}
    item = next(i for i in agent_client.get("/api/v1/review/queue/").json()["items"] if i["conversation"] == held.pk)
    assert item["unit_name"].endswith("Unit 4B")
    assert item["reason_codes"] == [str(ReasonCode.LOW_CONFIDENCE)]
    for bad in ("unit=abc", "reason=bored", "unit=-1"):
        assert agent_client.get(f"/api/v1/conversations/?{bad}").status_code == 400
        assert agent_client.get(f"/api/v1/review/queue/?{bad}").status_code == 400
    # Query counts stay flat however many rows match.
    with django_assert_max_num_queries(7):
        agent_client.get(f"/api/v1/conversations/?unit={unit.pk}&reason=unlinked&conversation_status=open")
    with django_assert_max_num_queries(7):
        agent_client.get("/api/v1/conversations/?search=R&unit=none&page_size=50")
    with django_assert_max_num_queries(9):
        agent_client.get(f"/api/v1/review/queue/?unit={unit.pk}&reason=unlinked")
