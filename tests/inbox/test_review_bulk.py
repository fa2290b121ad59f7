"""Bulk triage of the review queue: each item checked on its own (scope, version, state), reported by name."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import OutboundMessage
from inbox.services import conversation_assign, message_store, triage
from leasebot.core.models import AuditLog
from platforms.connectors.base import Inbound
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/review/bulk/"


def _queue(client: Any) -> dict[str, dict[str, Any]]:
    """The queue as the agent sees it, by key."""
    return {item["key"]: item for item in client.get("/api/v1/review/queue/").json()["items"]}


def _shown(queue: dict[str, dict[str, Any]], *keys: str) -> list[dict[str, str]]:
    return [{"key": key, "version": queue[key]["version"]} for key in keys]


def _drafts(granted: Any, *names: str) -> list[OutboundMessage]:
    rows = []
    for name in names:
        conv = ConversationFactory(account=granted, renter_name=name)
        MessageFactory(conversation=conv, body=f"{name}: is the room free?")
        rows.append(OutboundFactory(conversation=conv, body=f"Hello {name}, yes it is."))
    return rows


def test_queue_items_carry_version_last_message_assignee_and_reason_counts(
    agent_client: Any, agent_user: Any, granted: Any
) -> None:
    (draft,) = _drafts(granted, "Ada")
    draft.conversation.assigned_agent = agent_user
    draft.conversation.save()
    OutboundFactory(
        conversation=ConversationFactory(account=granted, renter_name="Bo"),
        hold_reasons=[{"code": "no_slot", "category": "", "detail": ""}],
    )
    body = agent_client.get("/api/v1/review/queue/").json()
    item = next(i for i in body["items"] if i["key"] == f"outbound-{draft.pk}")
    assert item["last_message"] == "Ada: is the room free?"
    assert item["assignee"] == f"assigned to {agent_user.username}"
    assert item["version"]
    assert {"code": "no_slot", "text": "No showing slot available", "count": 1} in body["reason_counts"]


def test_bulk_approve_mixed_fresh_and_stale_acts_on_fresh_only_and_names_the_skipped(
    agent_client: Any, admin_client: Any, agent_user: Any, granted: Any
) -> None:
    # given: three drafts shown to the agent; another person rejects one before the agent acts
    ada, bo, cy = _drafts(granted, "Ada", "Bo", "Cy")
    queue = _queue(agent_client)
    items = _shown(queue, f"outbound-{ada.pk}", f"outbound-{bo.pk}", f"outbound-{cy.pk}")
    assert (
        admin_client.post(f"/api/v1/outbound/{bo.pk}/reject/", {"reason": "wrong unit"}, format="json").status_code
        == 200
    )

    # when
    response = agent_client.post(BULK, {"action": "approve", "items": items}, format="json")

    # then: two queued through the outbox, Bo skipped by name with the reason, nothing queued for Bo
    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["skipped"]) == (2, 1)
    skipped = [r for r in body["results"] if r["outcome"] == "skipped"]
    assert [r["renter_name"] for r in skipped] == ["Bo"]
    assert "changed since you saw it" in skipped[0]["reason"]
    assert "cancelled" in skipped[0]["reason"]
    statuses = dict(OutboundMessage.objects.filter(pk__in=[ada.pk, bo.pk, cy.pk]).values_list("pk", "status"))
    assert statuses == {ada.pk: "queued", bo.pk: "cancelled", cy.pk: "queued"}
    assert AuditLog.objects.filter(action="outbound.approve", actor=agent_user).count() == 2


def test_bulk_skips_an_item_edited_since_shown_even_though_it_is_still_a_draft(
    agent_client: Any, admin_client: Any, granted: Any
) -> None:
    (ada,) = _drafts(granted, "Ada")
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}")
    assert admin_client.patch(f"/api/v1/outbound/{ada.pk}/", {"body": "Edited text."}, format="json").status_code == 200
    body = agent_client.post(BULK, {"action": "approve", "items": items}, format="json").json()
    assert body["results"][0]["outcome"] == "skipped"
    ada.refresh_from_db()
    assert ada.status == "draft"


def test_bulk_reject_goes_through_the_outbox_with_the_reason(agent_client: Any, granted: Any) -> None:
    ada, bo = _drafts(granted, "Ada", "Bo")
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}", f"outbound-{bo.pk}")
    body = agent_client.post(BULK, {"action": "reject", "reason": "duplicates", "items": items}, format="json").json()
    assert body["done"] == 2
    assert set(OutboundMessage.objects.filter(pk__in=[ada.pk, bo.pk]).values_list("rejected_reason", flat=True)) == {
        "duplicates"
    }
    assert AuditLog.objects.filter(action="outbound.reject").count() == 2


def test_bulk_assign_outbound_and_escalated_items_to_a_granted_agent(
    agent_client: Any, granted: Any, agent_user: Any
) -> None:
    (ada,) = _drafts(granted, "Ada")
    escalated = ConversationFactory(account=granted, renter_name="Eve", human_required=True)
    MessageFactory(conversation=escalated, body="I need a person")
    colleague = UserFactory(role="agent")
    account_grant(user=colleague, account=granted)
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}", f"conversation-{escalated.pk}")
    body = agent_client.post(BULK, {"action": "assign", "agent": colleague.pk, "items": items}, format="json").json()
    assert body["done"] == 2, body
    ada.conversation.refresh_from_db()
    escalated.refresh_from_db()
    assert ada.conversation.assigned_agent == colleague
    assert escalated.assigned_agent == colleague
    assert _queue(agent_client)[f"outbound-{ada.pk}"]["assignee"] == f"assigned to {colleague.username}"


def test_bulk_assign_refused_per_item_when_agent_is_not_granted_that_account(
    admin_client: Any, granted: Any, foreign_draft: Any
) -> None:
    (ada,) = _drafts(granted, "Ada")
    colleague = UserFactory(role="agent")
    account_grant(user=colleague, account=granted)
    items = _shown(_queue(admin_client), f"outbound-{ada.pk}", f"outbound-{foreign_draft.pk}")
    body = admin_client.post(BULK, {"action": "assign", "agent": colleague.pk, "items": items}, format="json").json()
    outcome = {r["key"]: (r["outcome"], r["reason"]) for r in body["results"]}
    assert outcome[f"outbound-{ada.pk}"] == ("done", "")
    assert outcome[f"outbound-{foreign_draft.pk}"] == (
        "skipped",
        "that user is not granted this conversation's account",
    )
    foreign_draft.conversation.refresh_from_db()
    assert foreign_draft.conversation.assigned_agent is None


def test_bulk_item_of_an_account_not_granted_is_skipped_as_not_found_and_untouched(
    agent_client: Any, admin_client: Any, granted: Any, foreign_draft: Any
) -> None:
    (ada,) = _drafts(granted, "Ada")
    foreign_version = _queue(admin_client)[f"outbound-{foreign_draft.pk}"]["version"]
    items = [*_shown(_queue(agent_client), f"outbound-{ada.pk}")]
    items.append({"key": f"outbound-{foreign_draft.pk}", "version": foreign_version})
    body = agent_client.post(BULK, {"action": "approve", "items": items}, format="json").json()
    result = {r["key"]: r for r in body["results"]}
    assert result[f"outbound-{ada.pk}"]["outcome"] == "done"
    refused = result[f"outbound-{foreign_draft.pk}"]
    assert (refused["outcome"], refused["reason"], refused["renter_name"]) == (
        "skipped",
        "not found in the accounts you may see",
        "",
    )
    foreign_draft.refresh_from_db()
    assert foreign_draft.status == "draft"


def test_bulk_approve_of_an_escalation_without_draft_is_skipped_with_reason(agent_client: Any, granted: Any) -> None:
    escalated = ConversationFactory(account=granted, renter_name="Eve", human_required=True)
    items = _shown(_queue(agent_client), f"conversation-{escalated.pk}")
    result = agent_client.post(BULK, {"action": "approve", "items": items}, format="json").json()["results"][0]
    assert result["outcome"] == "skipped"
    assert "no draft to approve" in result["reason"]


def test_bulk_ops_may_not(ops_client: Any, draft: Any) -> None:
    items = [{"key": f"outbound-{draft.pk}", "version": "x"}]
    assert ops_client.post(BULK, {"action": "approve", "items": items}, format="json").status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "send", "items": [{"key": "outbound-1", "version": "v"}]}, "action"),
        ({"action": "approve", "items": []}, "items"),
        ({"action": "approve"}, "items"),
        ({"action": "approve", "items": [{"key": "outbound-x", "version": "v"}]}, "items"),
        ({"action": "approve", "items": [{"key": "dead-letter-1", "version": "v"}]}, "items"),
        ({"action": "approve", "items": [{"key": "outbound-1"}]}, "items"),
        ({"action": "approve", "items": "outbound-1"}, "items"),
        ({"action": "approve", "items": [{"key": "outbound-1", "version": "v"}] * 2}, "items"),
        ({"action": "approve", "items": [{"key": f"outbound-{n}", "version": "v"} for n in range(1, 102)]}, "items"),
        ({"action": "reject", "items": [{"key": "outbound-1", "version": "v"}]}, "reason"),
        ({"action": "reject", "reason": "  ", "items": [{"key": "outbound-1", "version": "v"}]}, "reason"),
        ({"action": "assign", "items": [{"key": "outbound-1", "version": "v"}]}, "agent"),
        ({"action": "assign", "agent": "bob", "items": [{"key": "outbound-1", "version": "v"}]}, "agent"),
        ({"action": "assign", "agent": 999999, "items": [{"key": "outbound-1", "version": "v"}]}, "agent"),
    ],
)
def test_bulk_bad_input_is_400_naming_the_field(agent_client: Any, draft: Any, payload: Any, field: str) -> None:
    response = agent_client.post(BULK, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_bulk_queries_grow_by_a_fixed_cost_per_item(agent_client: Any, granted: Any) -> None:
    """The scope is read once for all items; each item costs the same few queries (savepoint,
    its conversation's lock then its own, the door's lock and write, its audit row), never more
    as the selection grows."""
    rows = _drafts(granted, *(f"R{n}" for n in range(6)))
    queue = _queue(agent_client)
    one = _shown(queue, f"outbound-{rows[0].pk}")
    five = _shown(queue, *(f"outbound-{r.pk}" for r in rows[1:]))
    with CaptureQueriesContext(connection) as captured_one:
        agent_client.post(BULK, {"action": "reject", "reason": "spam", "items": one}, format="json")
    with CaptureQueriesContext(connection) as captured_five:
        body = agent_client.post(BULK, {"action": "reject", "reason": "spam", "items": five}, format="json").json()
    assert body["done"] == 5
    extra = len(captured_five) - len(captured_one)
    per_item, remainder = divmod(extra, 4)
    assert remainder == 0, f"four more items cost {extra} queries: not a fixed cost per item"
    assert per_item <= 9, f"each item costs {per_item} queries"
    assert len(captured_one) - per_item <= 3, f"{len(captured_one) - per_item} queries besides the items"


# --- A draft's version holds its conversation's (review 2026-12-01) ---


def _renter_writes(conversation: Any, body: str) -> None:
    """The renter's new message as ingest stores it (``last_inbound_at`` moves by a plain update)."""
    item = Inbound(
        thread_ref=conversation.thread_ref,
        message_ref=f"late-{conversation.pk}",
        sender_name="R",
        body=body,
        sent_at=timezone.now(),
    )
    message_store(account=conversation.account, item=item)


def test_bulk_approve_skips_a_draft_whose_renter_wrote_after_the_queue_loaded(agent_client: Any, granted: Any) -> None:
    # given: the card shows Ada's first message and draft A; Bo's card is untouched
    ada, bo = _drafts(granted, "Ada", "Bo")
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}", f"outbound-{bo.pk}")
    # when: Ada writes again (draft A itself does not change) and the agent approves both
    _renter_writes(ada.conversation, "actually Thursday doesn't work")
    body = agent_client.post(BULK, {"action": "approve", "items": items}, format="json").json()
    # then: A is skipped as changed and stays a draft; Bo's goes
    result = {r["key"]: r for r in body["results"]}
    assert result[f"outbound-{ada.pk}"]["outcome"] == "skipped"
    assert "the renter wrote again" in result[f"outbound-{ada.pk}"]["reason"]
    assert result[f"outbound-{bo.pk}"]["outcome"] == "done"
    ada.refresh_from_db()
    assert ada.status == "draft"
    # and the queue, loaded again, shows the version the bulk action now accepts
    again = _shown(_queue(agent_client), f"outbound-{ada.pk}")
    again_body = agent_client.post(BULK, {"action": "approve", "items": again}, format="json").json()
    assert again_body.get("done") == 1, again_body


def test_bulk_assign_on_a_draft_does_not_overwrite_a_reassignment_made_since(
    agent_client: Any, granted: Any, admin_user: Any
) -> None:
    # given: the card shows Ada's draft; a colleague then gives the conversation to Col (the draft is untouched;
    # a take-over would cancel it, which the draft's own version already catches)
    (ada,) = _drafts(granted, "Ada")
    colleague, other = UserFactory(role="agent"), UserFactory(role="agent")
    for user in (colleague, other):
        account_grant(user=user, account=granted)
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}")
    conversation_assign(conversation_id=ada.conversation_id, actor=admin_user, agent_id=colleague.pk)

    # when: the agent assigns the card to someone else
    body = agent_client.post(BULK, {"action": "assign", "agent": other.pk, "items": items}, format="json").json()

    # then: skipped as changed; the colleague's assignment stands
    assert body["results"][0]["outcome"] == "skipped"
    assert "someone took it over or assigned it" in body["results"][0]["reason"]
    ada.conversation.refresh_from_db()
    assert ada.conversation.assigned_agent == colleague


def test_bulk_assign_of_two_drafts_in_one_conversation_does_both(agent_client: Any, granted: Any) -> None:
    # The first assignment moves the conversation's version; that is this call's own change, not a stale card.
    (first,) = _drafts(granted, "Ada")
    second = OutboundFactory(conversation=first.conversation, body="And a follow-up.")
    colleague = UserFactory(role="agent")
    account_grant(user=colleague, account=granted)
    items = _shown(_queue(agent_client), f"outbound-{first.pk}", f"outbound-{second.pk}")
    body = agent_client.post(BULK, {"action": "assign", "agent": colleague.pk, "items": items}, format="json").json()
    assert body["done"] == 2, body


# --- Lock order and database errors ---


def test_bulk_locks_the_conversation_before_the_draft(agent_client: Any, granted: Any) -> None:
    # A decision locks the conversation, then its replies; the reverse order here deadlocked with it.
    (ada,) = _drafts(granted, "Ada")
    colleague = UserFactory(role="agent")
    account_grant(user=colleague, account=granted)
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}")
    with CaptureQueriesContext(connection) as captured:
        agent_client.post(BULK, {"action": "assign", "agent": colleague.pk, "items": items}, format="json")
    locks = [q["sql"] for q in captured if "FOR UPDATE" in q["sql"]]
    assert '"inbox_conversation"' in locks[0].split("FOR UPDATE")[1], locks[0]


def test_a_database_error_on_one_item_skips_it_with_try_again_and_the_others_go(
    agent_client: Any, granted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: three drafts; approving Bo's hits a real database error (its transaction is left aborted)
    ada, bo, cy = _drafts(granted, "Ada", "Bo", "Cy")
    items = _shown(_queue(agent_client), f"outbound-{ada.pk}", f"outbound-{bo.pk}", f"outbound-{cy.pk}")
    door = triage.outbound_approve

    def approve(*, outbound_id: int, actor: Any) -> OutboundMessage:
        if outbound_id == bo.pk:
            OutboundMessage.objects.filter(pk=bo.pk).update(body="half-written")
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")  # A DatabaseError, as a deadlock would be.
        return door(outbound_id=outbound_id, actor=actor)

    monkeypatch.setattr(triage, "outbound_approve", approve)
    # when
    response = agent_client.post(BULK, {"action": "approve", "items": items}, format="json")
    # then: 200 with the report; Bo skipped by name with "try again", rolled back; Ada and Cy queued
    assert response.status_code == 200, response.content
    result = {r["key"]: r for r in response.json()["results"]}
    skipped = result[f"outbound-{bo.pk}"]
    assert (skipped["outcome"], skipped["renter_name"]) == ("skipped", "Bo")
    assert "try again" in skipped["reason"]
    assert result[f"outbound-{ada.pk}"]["outcome"] == result[f"outbound-{cy.pk}"]["outcome"] == "done"
    statuses = dict(OutboundMessage.objects.filter(pk__in=[ada.pk, bo.pk, cy.pk]).values_list("pk", "status"))
    assert statuses == {ada.pk: "queued", bo.pk: "draft", cy.pk: "queued"}
    bo.refresh_from_db()
    assert bo.body == "Hello Bo, yes it is."
