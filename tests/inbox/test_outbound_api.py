"""Drafts: list, edit, approve (queued through dispatch), reject; scope and guardrails; dead letters."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from leasebot.core.models import AuditLog
from tests.dispatch.factories import DeadLetterFactory
from tests.inbox.factories import MessageFactory, OutboundFactory

pytestmark = pytest.mark.django_db

FLAGGED = "Please wire the deposit via Western Union before the showing."


def test_outbound_list_scoped_and_bounded_queries(
    agent_client: Any, draft: Any, foreign_draft: Any, conversation: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        OutboundFactory(conversation=conversation)
    with django_assert_max_num_queries(6):
        response = agent_client.get("/api/v1/outbound/?status=draft,pending_review")
    ids = {row["id"] for row in response.json()["results"]}
    assert draft.pk in ids
    assert foreign_draft.pk not in ids
    assert response.json()["count"] == 6


def test_outbound_foreign_is_404_everywhere(agent_client: Any, foreign_draft: Any) -> None:
    base = f"/api/v1/outbound/{foreign_draft.pk}/"
    assert agent_client.get(base).status_code == 404
    assert agent_client.patch(base, {"body": "x"}, format="json").status_code == 404
    assert agent_client.post(base + "approve/", {}, format="json").status_code == 404
    assert agent_client.post(base + "reject/", {"reason": "no"}, format="json").status_code == 404
    foreign_draft.refresh_from_db()
    assert foreign_draft.status == "draft"


def test_outbound_edit_then_approve_goes_to_queued_never_sent(agent_client: Any, agent_user: Any, draft: Any) -> None:
    url = f"/api/v1/outbound/{draft.pk}/"
    edited = agent_client.patch(url, {"body": "Yes, it is available from June 1. Want to see it?"}, format="json")
    assert edited.status_code == 200
    assert edited.json()["body"].startswith("Yes, it is available")
    approved = agent_client.post(url + "approve/", {}, format="json")
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "queued"
    assert body["approved_by"] == agent_user.username
    assert body["sent_at"] is None
    assert body["platform_message_ref"] == ""
    assert AuditLog.objects.filter(action="outbound.approve", object_id=str(draft.pk), actor=agent_user).exists()


def test_outbound_approve_with_flagged_text_is_400_with_reasons(agent_client: Any, draft: Any) -> None:
    response = agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {"body": FLAGGED}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert any("off_platform_payment" in r for r in response.json()["reasons"])
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_outbound_edit_flagged_text_is_held_with_reasons(agent_client: Any, draft: Any) -> None:
    response = agent_client.patch(f"/api/v1/outbound/{draft.pk}/", {"body": FLAGGED}, format="json")
    assert response.status_code == 200
    assert any(r["kind"] == "guardrail" for r in response.json()["reasons"])


def test_outbound_approve_twice_is_409(agent_client: Any, draft: Any) -> None:
    url = f"/api/v1/outbound/{draft.pk}/approve/"
    assert agent_client.post(url, {}, format="json").status_code == 200
    second = agent_client.post(url, {}, format="json")
    assert second.status_code == 409
    assert second.json()["status"] == "queued"


def test_outbound_approve_on_inactive_account_is_409(agent_client: Any, draft: Any, granted: Any) -> None:
    granted.is_active = False
    granted.save()
    assert agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {}, format="json").status_code == 409


def test_outbound_reject_needs_reason(agent_client: Any, draft: Any) -> None:
    url = f"/api/v1/outbound/{draft.pk}/reject/"
    missing = agent_client.post(url, {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()
    done = agent_client.post(url, {"reason": "wrong unit"}, format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["rejected_reason"]) == ("cancelled", "wrong unit")


@pytest.mark.parametrize(
    ("query", "field"), [("status=bogus", "status"), ("account=abc", "account"), ("conversation=-1", "conversation")]
)
def test_outbound_bad_filters_are_400(agent_client: Any, query: str, field: str) -> None:
    response = agent_client.get(f"/api/v1/outbound/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_outbound_ops_reads_but_cannot_approve(ops_client: Any, draft: Any) -> None:
    assert ops_client.get(f"/api/v1/outbound/{draft.pk}/").status_code == 200
    assert ops_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {}, format="json").status_code == 403


def _dead(conversation: Any) -> tuple[Any, Any]:
    row = OutboundFactory(conversation=conversation, status="dead")
    letter = DeadLetterFactory(
        outbound=row,
        stage="send",
        error_message="thread closed",
        attempts=3,
    )
    return row, letter


def test_dead_letters_scoped_and_retry_admin_only(
    admin_client: Any,
    agent_client: Any,
    ops_client: Any,
    conversation: Any,
    foreign_conversation: Any,
    django_assert_max_num_queries: Any,
) -> None:
    row, letter = _dead(conversation)
    _foreign_row, foreign_letter = _dead(foreign_conversation)
    assert {r["id"] for r in agent_client.get("/api/v1/dead-letters/").json()["results"]} == {letter.pk}
    with django_assert_max_num_queries(5):
        assert ops_client.get("/api/v1/dead-letters/?status=open").json()["count"] == 2
    assert agent_client.post(f"/api/v1/dead-letters/{foreign_letter.pk}/retry/").status_code == 404
    assert agent_client.post(f"/api/v1/dead-letters/{letter.pk}/retry/").status_code == 403
    assert ops_client.post(f"/api/v1/dead-letters/{letter.pk}/retry/").status_code == 403
    response = admin_client.post(f"/api/v1/dead-letters/{letter.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "retried"
    row.refresh_from_db()
    assert row.status == "queued"
    assert admin_client.post(f"/api/v1/dead-letters/{letter.pk}/retry/").status_code == 409


def test_dead_letter_discard_needs_reason(admin_client: Any, conversation: Any) -> None:
    _row, letter = _dead(conversation)
    assert admin_client.post(f"/api/v1/dead-letters/{letter.pk}/discard/", {}, format="json").status_code == 400
    response = admin_client.post(f"/api/v1/dead-letters/{letter.pk}/discard/", {"reason": "renter gone"}, format="json")
    assert response.json()["status"] == "discarded"


def _unknown(conversation: Any) -> Any:
    evidence = {
        "verdict": "unknown",
        "reason": "outbound count went from 0 to 1 but no text matches",
        "outbound_before": 0,
        "outbound_now": 1,
        "candidates": [{"ref": "m77", "sent_at": "2026-11-30T12:00:00+00:00", "match": "none", "body": "[removed]"}],
    }
    return OutboundFactory(conversation=conversation, status="unknown", outcome_evidence=evidence, body="Yes, it is.")


def test_resolve_an_unknown_outcome_as_sent_with_the_picked_message(agent_client: Any, conversation: Any) -> None:
    row = _unknown(conversation)
    response = agent_client.post(
        f"/api/v1/outbound/{row.pk}/resolve/", {"sent": True, "message_ref": "m77"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["platform_message_ref"]) == ("sent", "m77")
    assert AuditLog.objects.filter(action="outbound.outcome_resolved", object_id=str(row.pk)).exists()


def test_resolve_refuses_bad_input_and_rows_that_are_not_unknown(
    agent_client: Any, conversation: Any, draft: Any, foreign_conversation: Any
) -> None:
    row = _unknown(conversation)
    url = f"/api/v1/outbound/{row.pk}/resolve/"
    assert agent_client.post(url, {"sent": "yes"}, format="json").status_code == 400
    assert agent_client.post(url, {}, format="json").status_code == 400
    assert agent_client.post(url, {"sent": True, "message_ref": "m-other"}, format="json").status_code == 400
    assert agent_client.post(f"/api/v1/outbound/{draft.pk}/resolve/", {"sent": True}, format="json").status_code == 409
    foreign = _unknown(foreign_conversation)
    assert (
        agent_client.post(f"/api/v1/outbound/{foreign.pk}/resolve/", {"sent": True}, format="json").status_code == 404
    )
    row.refresh_from_db()
    foreign.refresh_from_db()
    assert (row.status, foreign.status) == ("unknown", "unknown")


def test_outbound_approve_after_another_agents_reject_is_409_naming_the_reason(agent_client: Any, draft: Any) -> None:
    # given: someone else rejected the draft first
    rejected = agent_client.post(f"/api/v1/outbound/{draft.pk}/reject/", {"reason": "wrong unit"}, format="json")
    assert rejected.status_code == 200

    # when
    response = agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {}, format="json")

    # then: the answer says it was cancelled and why
    assert response.status_code == 409
    assert response.json()["status"] == "cancelled"
    assert response.json()["detail"] == "this draft is no longer open: it was cancelled (wrong unit)"


def test_outbound_reject_after_approve_is_409_naming_the_approver(
    agent_client: Any, agent_user: Any, draft: Any
) -> None:
    assert agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {}, format="json").status_code == 200
    response = agent_client.post(f"/api/v1/outbound/{draft.pk}/reject/", {"reason": "no"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == f"this draft was already approved by {agent_user.username} and is now queued"


def _card(client: Any, outbound_id: int) -> dict[str, Any]:
    """The review queue's card of a draft, as the agent's page gets it."""
    return next(i for i in client.get("/api/v1/review/queue/").json()["items"] if i.get("outbound") == outbound_id)


def test_outbound_approve_from_a_stale_card_is_409_and_nothing_is_queued(agent_client: Any, draft: Any) -> None:
    # given: the queue showed the draft with its version
    shown = _card(agent_client, draft.pk)
    # when: the renter writes again before the agent's approval lands
    conversation = draft.conversation
    MessageFactory(conversation=conversation, body="Actually Thursday doesn't work for me.")
    conversation.last_inbound_at = timezone.now()
    conversation.save(update_fields=["last_inbound_at"])
    stale = agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {"version": shown["version"]}, format="json")
    # then: refused, saying why; the draft still waits
    assert stale.status_code == 409
    assert "changed since you saw it" in stale.json()["detail"]
    draft.refresh_from_db()
    assert draft.status == "draft"
    # and the card as it is now can be approved
    fresh = _card(agent_client, draft.pk)
    approved = agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {"version": fresh["version"]}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "queued"
