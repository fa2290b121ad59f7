"""Conversations: filters, detail, manual replies with Idempotency-Key, takeover, notes, assignment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from inbox.api.views import ConversationPagination
from inbox.models import Decision, OutboundMessage, UnitAssignment
from leasebot.core.models import AuditLog
from platforms.roles import account_grant
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory, UnitFactory
from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_conversation_list_scoped_filtered_and_bounded(
    agent_client: Any, conversation: Any, foreign_conversation: Any, granted: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(8):
        conv = ConversationFactory(account=granted, renter_name=f"Renter {n}", human_required=n % 2 == 0)
        MessageFactory(conversation=conv, body=f"message {n} about parking")
        OutboundFactory(conversation=conv)
    with django_assert_max_num_queries(6):
        response = agent_client.get("/api/v1/conversations/?page_size=50")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert conversation.pk in ids
    assert foreign_conversation.pk not in ids
    assert response.json()["count"] == 9
    assert agent_client.get("/api/v1/conversations/?human_required=true").json()["count"] == 4
    assert agent_client.get("/api/v1/conversations/?search=parking").json()["count"] == 8
    assert (
        agent_client.get(f"/api/v1/conversations/?account={granted.pk}&platform=spareroom&status=new").json()["count"]
        == 9
    )
    assert agent_client.get("/api/v1/conversations/?platform=roomies").json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("human_required=perhaps", "human_required"),
        ("status=married", "status"),
        ("account=x", "account"),
        ("assigned=you", "assigned"),
    ],
)
def test_conversation_bad_filters_are_400(agent_client: Any, query: str, field: str) -> None:
    response = agent_client.get(f"/api/v1/conversations/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_conversation_ops_is_refused(ops_client: Any, conversation: Any) -> None:
    assert ops_client.get("/api/v1/conversations/").status_code == 403
    assert ops_client.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 403


def test_conversation_detail_has_thread_decision_slots_drafts(
    agent_client: Any, conversation: Any, draft: Any, django_assert_max_num_queries: Any
) -> None:
    message = conversation.messages.first()
    slot = {"starts_at": "2030-01-01T15:00:00+00:00", "label": "Tue Jan 1, 10:00 AM", "source": {"window": 1}}
    Decision.objects.create(
        conversation=conversation,
        message=message,
        engine="rules",
        intent="showing_request",
        confidence=0.9,
        workflow_outcome="engaged",
        showing_state="offered",
        follow_up_stage="none",
        reply_text="...",
        reason_codes=["low_confidence"],
        offered_slots=[slot],
    )
    with django_assert_max_num_queries(10):
        body = agent_client.get(f"/api/v1/conversations/{conversation.pk}/").json()
    assert [m["body"] for m in body["messages"]] == ["Hi, is the room still available?"]
    assert body["decisions"][0]["reason_codes"] == ["low_confidence"]
    assert body["offered_slots"] == [slot]
    assert [o["id"] for o in body["outbound"]] == [draft.pk]


def test_conversation_foreign_is_404_for_every_action(agent_client: Any, foreign_conversation: Any) -> None:
    base = f"/api/v1/conversations/{foreign_conversation.pk}/"
    assert agent_client.get(base).status_code == 404
    assert (
        agent_client.post(base + "reply/", {"body": "hi"}, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 404
    )
    assert agent_client.post(base + "take-over/").status_code == 404
    assert agent_client.post(base + "notes/", {"body": "x"}, format="json").status_code == 404
    assert agent_client.post(base + "assign/", {"agent": None}, format="json").status_code == 404
    assert (
        agent_client.post(
            "/api/v1/guardrails/check/", {"text": "hi", "conversation": foreign_conversation.pk}, format="json"
        ).status_code
        == 404
    )
    assert not OutboundMessage.objects.filter(conversation=foreign_conversation).exists()


def test_reply_same_key_twice_is_one_reply(agent_client: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    first = agent_client.post(url, {"body": "Sure, come by Tuesday."}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    second = agent_client.post(url, {"body": "Sure, come by Tuesday."}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "queued"
    assert OutboundMessage.objects.filter(conversation=conversation, purpose="manual").count() == 1


def test_reply_same_key_other_body_is_409(agent_client: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    agent_client.post(url, {"body": "First text."}, format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    response = agent_client.post(url, {"body": "Second text."}, format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    assert response.status_code == 409
    assert response.json()["field"] == "Idempotency-Key"


def test_reply_without_key_or_body_or_flagged_is_400(agent_client: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    no_key = agent_client.post(url, {"body": "Hello"}, format="json")
    assert no_key.status_code == 400
    assert no_key.json()["field"] == "Idempotency-Key"
    no_body = agent_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert no_body.status_code == 400
    assert "body" in no_body.json()
    flagged = agent_client.post(
        url, {"body": "Sorry, no kids allowed in this building."}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert flagged.status_code == 400
    assert any("fair_housing" in r for r in flagged.json()["reasons"])
    assert not OutboundMessage.objects.filter(conversation=conversation).exists()


def test_take_over_and_hand_back(agent_client: Any, agent_user: Any, conversation: Any, draft: Any) -> None:
    taken = agent_client.post(f"/api/v1/conversations/{conversation.pk}/take-over/")
    assert taken.status_code == 200
    assert taken.json()["taken_over_by"] == agent_user.username
    draft.refresh_from_db()
    assert draft.status == "cancelled"  # The bot's waiting reply is withdrawn.
    back = agent_client.post(f"/api/v1/conversations/{conversation.pk}/hand-back/")
    assert back.status_code == 200
    assert back.json()["taken_over_by"] is None


def test_take_over_by_second_agent_is_409(agent_client: Any, conversation: Any, granted: Any) -> None:
    from tests.conftest import client_for

    other = UserFactory(username="carol-agent", role="agent")
    account_grant(user=other, account=granted)
    assert client_for(other).post(f"/api/v1/conversations/{conversation.pk}/take-over/").status_code == 200
    assert agent_client.post(f"/api/v1/conversations/{conversation.pk}/take-over/").status_code == 409


def test_notes_are_private_and_validated(agent_client: Any, agent_user: Any, conversation: Any) -> None:
    url = f"/api/v1/conversations/{conversation.pk}/notes/"
    assert agent_client.post(url, {"body": "   "}, format="json").status_code == 400
    created = agent_client.post(url, {"body": "Renter prefers evenings."}, format="json")
    assert created.status_code == 201
    assert created.json()["author"] == agent_user.username
    assert [n["body"] for n in agent_client.get(url).json()] == ["Renter prefers evenings."]
    assert not OutboundMessage.objects.filter(conversation=conversation).exists()


def test_assign_defaults_to_primary_agent_and_checks_grant(
    agent_client: Any, agent_user: Any, conversation: Any, granted: Any
) -> None:
    unit = UnitFactory()
    UnitAssignment.objects.create(unit=unit, agent=agent_user, is_primary=True)
    conversation.unit = unit
    conversation.save()
    row = agent_client.get(f"/api/v1/conversations/{conversation.pk}/").json()
    assert (row["assigned_agent"], row["default_agent"]) == (None, agent_user.username)
    assert agent_client.get("/api/v1/conversations/?assigned=me").json()["count"] == 1
    stranger = UserFactory(username="dan-agent", role="agent")
    refused = agent_client.post(
        f"/api/v1/conversations/{conversation.pk}/assign/", {"agent": stranger.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "agent"
    account_grant(user=stranger, account=granted)
    agents = agent_client.get(f"/api/v1/conversations/{conversation.pk}/agents/").json()
    assert {a["username"] for a in agents} == {agent_user.username, stranger.username}
    done = agent_client.post(f"/api/v1/conversations/{conversation.pk}/assign/", {"agent": stranger.pk}, format="json")
    assert done.json()["assigned_agent"] == stranger.username
    assert agent_client.get("/api/v1/conversations/?assigned=me").json()["count"] == 0
    assert (
        agent_client.post(f"/api/v1/conversations/{conversation.pk}/assign/", {"agent": "x"}, format="json").status_code
        == 400
    )


def test_guardrail_check_returns_flags(agent_client: Any, conversation: Any) -> None:
    ok = agent_client.post(
        "/api/v1/guardrails/check/", {"text": "The room is available.", "conversation": conversation.pk}, format="json"
    )
    assert ok.json() == {"ok": True, "flags": []}
    bad = agent_client.post(
        "/api/v1/guardrails/check/", {"text": "Wire the deposit by Western Union."}, format="json"
    ).json()
    assert bad["ok"] is False
    assert bad["flags"][0]["category"] == "off_platform_payment"
    assert agent_client.post("/api/v1/guardrails/check/", {"text": "x" * 5000}, format="json").status_code == 400


def test_canned_replies_admin_writes_agents_read(
    admin_client: Any, agent_client: Any, granted: Any, foreign_account: Any
) -> None:
    created = admin_client.post(
        "/api/v1/canned-replies/", {"title": "Viewing", "body": "Happy to show you the room."}, format="json"
    )
    assert created.status_code == 201
    admin_client.post(
        "/api/v1/canned-replies/", {"title": "Other", "body": "Hi.", "account": foreign_account.pk}, format="json"
    )
    assert [r["title"] for r in agent_client.get("/api/v1/canned-replies/").json()] == ["Viewing"]
    assert (
        agent_client.post("/api/v1/canned-replies/", {"title": "Mine", "body": "Hi."}, format="json").status_code == 403
    )
    dup = admin_client.post("/api/v1/canned-replies/", {"title": "Viewing", "body": "Again."}, format="json")
    assert dup.status_code == 409
    flagged = admin_client.post("/api/v1/canned-replies/", {"title": "Bad", "body": "No kids please."}, format="json")
    assert flagged.status_code == 400
    assert (
        admin_client.post(
            "/api/v1/canned-replies/", {"title": "A", "body": "b", "account": 999999}, format="json"
        ).status_code
        == 400
    )
    pk = created.json()["id"]
    assert (
        admin_client.patch(f"/api/v1/canned-replies/{pk}/", {"is_active": False}, format="json").json()["is_active"]
        is False
    )
    assert agent_client.get("/api/v1/canned-replies/").json() == []
    assert admin_client.delete(f"/api/v1/canned-replies/{pk}/").status_code == 204


def test_review_queue_orders_kinds_and_counts(
    agent_client: Any, conversation: Any, granted: Any, foreign_draft: Any, django_assert_max_num_queries: Any
) -> None:
    OutboundFactory(conversation=conversation, status="draft")
    OutboundFactory(
        conversation=conversation,
        status="pending_review",
        hold_reasons=[{"code": "guardrail", "category": "fair_housing", "detail": "no"}],
    )
    escalated = ConversationFactory(
        account=granted, human_required=True, human_reasons=[{"code": "abusive", "category": "", "detail": ""}]
    )
    MessageFactory(conversation=escalated, body="<b>angry</b>")
    with django_assert_max_num_queries(8):
        queue = agent_client.get("/api/v1/review/queue/").json()
    assert [i["kind"] for i in queue["items"]] == ["guardrail_hold", "draft", "escalation"]
    assert queue["counts"]["total"] == 3
    assert queue["items"][2]["preview"] == "<b>angry</b>"
    assert agent_client.get("/api/v1/review/queue/?platform=roomies").json()["counts"]["total"] == 0
    counts = agent_client.get("/api/v1/review/counts/").json()
    assert counts["needs_human"] == 3
    assert counts["hold_to_answer"]["count"] == 0


def test_hold_to_answer_measured_after_approval(agent_client: Any, draft: Any) -> None:
    agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {}, format="json")
    stats = agent_client.get("/api/v1/review/counts/").json()["hold_to_answer"]
    assert stats["count"] == 1
    assert stats["median_seconds"] is not None
    assert agent_client.get(f"/api/v1/outbound/{draft.pk}/").json()["hold_to_answer_seconds"] >= 0


def test_reply_cancels_the_bots_waiting_draft_and_approving_it_is_409_with_reason(
    agent_client: Any, agent_user: Any, conversation: Any, draft: Any
) -> None:
    # given: the bot's draft waits while the agent answers the renter themself
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    reply = agent_client.post(
        url, {"body": "Hi Jamie, I can show it Tuesday."}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert reply.status_code == 201

    # then: the bot's draft is cancelled (one answer, never two), by the agent, with the reason
    draft.refresh_from_db()
    assert draft.status == "cancelled"
    assert draft.rejected_reason == f"superseded by {agent_user.username}'s reply"
    assert AuditLog.objects.filter(action="outbound.cancel", object_id=str(draft.pk), actor=agent_user).exists()
    assert OutboundMessage.objects.get(pk=reply.json()["id"]).status == "queued"

    # when: someone approves the superseded draft anyway (a stale page)
    approved = agent_client.post(f"/api/v1/outbound/{draft.pk}/approve/", {}, format="json")

    # then: 409 with what became of it, and it stays cancelled
    assert approved.status_code == 409
    assert approved.json()["status"] == "cancelled"
    assert "superseded" in approved.json()["detail"]
    draft.refresh_from_db()
    assert draft.status == "cancelled"


def test_reply_leaves_other_conversations_drafts_alone(agent_client: Any, conversation: Any, granted: Any) -> None:
    other = OutboundFactory(conversation=ConversationFactory(account=granted), body="Elsewhere.")
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    assert agent_client.post(url, {"body": "Hello"}, format="json", HTTP_IDEMPOTENCY_KEY="r2").status_code == 201
    other.refresh_from_db()
    assert other.status == "draft"


def test_conversation_tabs_unassigned_and_search_by_message_text(
    agent_client: Any, agent_user: Any, conversation: Any, granted: Any, django_assert_max_num_queries: Any
) -> None:
    # given: the fixture's conversation (nobody on it), one assigned, one whose unit has an agent
    assigned = ConversationFactory(account=granted, renter_name="Ann", assigned_agent=agent_user)
    MessageFactory(conversation=assigned, body="Does the flat have a dishwasher?")
    unit = UnitFactory(name="Garden flat")
    UnitAssignment.objects.create(unit=unit, agent=agent_user, is_primary=False)
    by_unit = ConversationFactory(account=granted, renter_name="Ben", unit=unit)
    MessageFactory(conversation=by_unit, body="Hello")

    def ids(query: str) -> set[int]:
        with django_assert_max_num_queries(6):
            response = agent_client.get(f"/api/v1/conversations/?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    # then
    assert ids("assigned=none") == {conversation.pk}
    assert ids("search=dishwasher") == {assigned.pk}
    assert ids("search=garden") == {by_unit.pk}
    assert ids("assigned=none&search=dishwasher") == set()
    refused = agent_client.get("/api/v1/conversations/?assigned=someone")
    assert refused.status_code == 400
    assert "assigned" in refused.json()


def test_reply_leaves_an_approved_bot_reply_on_its_way(agent_client: Any, conversation: Any) -> None:
    queued = OutboundFactory(conversation=conversation, status="queued", body="Yes, it is free.")
    url = f"/api/v1/conversations/{conversation.pk}/reply/"
    assert agent_client.post(url, {"body": "Hello"}, format="json", HTTP_IDEMPOTENCY_KEY="r3").status_code == 201
    queued.refresh_from_db()
    assert queued.status == "queued"


def test_canned_replies_offered_by_scope_global_platform_account(
    agent_client: Any, admin_client: Any, granted: Any, foreign_account: Any
) -> None:
    from platforms.models import Platform

    roomies = Platform.objects.get(slug="roomies")
    for title, scope in (
        ("Hello", {}),
        ("Parking", {"platform": granted.platform.slug}),
        ("Roomies", {"platform": roomies.slug}),
        ("Mine", {"account": granted.pk}),
        ("Theirs", {"account": foreign_account.pk}),
    ):
        response = admin_client.post(
            "/api/v1/canned-replies/", {"title": title, "body": "Thanks!", **scope}, format="json"
        )
        assert response.status_code == 201, response.json()
    both = admin_client.post(
        "/api/v1/canned-replies/",
        {"title": "X", "body": "Hi", "account": granted.pk, "platform": "roomies"},
        format="json",
    )
    assert both.status_code == 400
    assert (
        admin_client.post("/api/v1/canned-replies/", {"title": "Y", "body": "Hi", "platform": "nope"}).status_code
        == 400
    )
    offered = agent_client.get(f"/api/v1/canned-replies/?account={granted.pk}").json()
    assert sorted(r["title"] for r in offered) == ["Hello", "Mine", "Parking"]
    assert next(r for r in offered if r["title"] == "Parking")["platform"] == granted.platform.slug


def test_search_matches_name_text_and_unit_case_insensitively_within_scope(
    agent_client: Any, granted: Any, foreign_account: Any, django_assert_max_num_queries: Any
) -> None:
    # given: three conversations found by a part of a name, of a message, of a unit name
    now = timezone.now()
    by_name = ConversationFactory(account=granted, renter_name="Ada Okonkwo", last_inbound_at=now)
    by_text = ConversationFactory(account=granted, renter_name="Ben", last_inbound_at=now - dt.timedelta(hours=1))
    MessageFactory(conversation=by_text, body="Is there a DishWasher in the kitchen?")
    by_unit = ConversationFactory(
        account=granted,
        renter_name="Cy",
        unit=UnitFactory(name="Flat B-12"),
        last_inbound_at=now - dt.timedelta(hours=2),
    )
    ConversationFactory(account=granted, renter_name="Dee")
    # and the same words on an account the agent is not granted
    hidden = ConversationFactory(account=foreign_account, renter_name="Ada Okonkwo", unit=UnitFactory(name="Flat B-12"))
    MessageFactory(conversation=hidden, body="dishwasher")

    def found(term: str) -> list[int]:
        with django_assert_max_num_queries(6):
            response = agent_client.get("/api/v1/conversations/", {"search": term})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == len(body["results"])
        assert body["count_capped"] is False
        return [row["id"] for row in body["results"]]

    # then: substrings match whatever the case, newest activity first, never outside the scope
    assert found("okonk") == [by_name.pk]
    assert found("dishwash") == [by_text.pk]
    assert found("b-12") == [by_unit.pk]
    assert found("no such thing") == []


def test_search_ignores_accents_on_both_sides_and_takes_wildcards_literally(agent_client: Any, granted: Any) -> None:
    # given: Spanish-speaking renters, written with and without accents, and a message with a % sign
    now = timezone.now()
    jose = ConversationFactory(account=granted, renter_name="José Martínez", last_inbound_at=now)
    bano = ConversationFactory(account=granted, renter_name="Luz", last_inbound_at=now - dt.timedelta(hours=1))
    MessageFactory(conversation=bano, body="¿Tiene baño privado? Y la cuota, ¿sube un 5% al año?")
    plain = ConversationFactory(
        account=granted, renter_name="Jose Ramirez", last_inbound_at=now - dt.timedelta(hours=2)
    )
    unit = ConversationFactory(
        account=granted, unit=UnitFactory(name="Piso Ñuñoa 3º"), last_inbound_at=now - dt.timedelta(hours=3)
    )

    def found(term: str) -> list[int]:
        response = agent_client.get("/api/v1/conversations/", {"search": term})
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    # then: an agent finds them however either side wrote the accents
    assert found("jose") == [jose.pk, plain.pk]
    assert found("JOSÉ") == [jose.pk, plain.pk]
    assert found("martinez") == [jose.pk]
    assert found("Ramírez") == [plain.pk]
    assert found("bano privado") == [bano.pk]
    assert found("ñunoa") == [unit.pk]
    # and a % or _ in the search is a character, not a wildcard
    assert found("5%") == [bano.pk]
    assert found("5% al") == [bano.pk]
    assert found("%") == [bano.pk]
    assert found("J_se") == []


def test_count_stops_at_the_cap_and_the_pages_still_reach_every_match(
    agent_client: Any, granted: Any, monkeypatch: Any, django_assert_max_num_queries: Any
) -> None:
    # given: a cap of 3 and 7 conversations mentioning parking
    monkeypatch.setattr(ConversationPagination, "COUNT_CAP", 3)
    now = timezone.now()
    matches = []
    for n in range(7):
        conv = ConversationFactory(account=granted, renter_name=f"R{n}", last_inbound_at=now - dt.timedelta(hours=n))
        MessageFactory(conversation=conv, body=f"Is there parking, number {n}?")
        matches.append(conv.pk)
    ConversationFactory(account=granted, renter_name="Quiet")
    # when: the agent walks the pages two by two
    seen: list[int] = []
    url: str | None = "/api/v1/conversations/?search=PARKING&page_size=2"
    while url:
        with django_assert_max_num_queries(6):
            response = agent_client.get(url)
        assert response.status_code == 200
        body = response.json()
        # then: every page says "3+", not a count it did not make
        assert (body["count"], body["count_capped"]) == (3, True)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == matches
    # and an exact count under the cap, pages past the end and nonsense are 404 with a reason
    exact = agent_client.get("/api/v1/conversations/?search=number 1").json()
    assert (exact["count"], exact["count_capped"]) == (1, False)
    assert agent_client.get("/api/v1/conversations/?search=parking&page_size=2&page=2").json()["count"] == 3
    for page in ("5", "0", "x", "²", "99999999"):
        refused = agent_client.get(f"/api/v1/conversations/?search=parking&page_size=2&page={page}")
        assert refused.status_code == 404
        assert "page" in refused.json()["detail"].lower()


def test_waiting_on_renter_lists_the_conversations_where_our_side_wrote_last(
    agent_client: Any, granted: Any, django_assert_max_num_queries: Any
) -> None:
    # given: conversations at each turn of the talk
    t0 = timezone.now() - dt.timedelta(hours=2)

    def talk(name: str, *turns: str, **kwargs: Any) -> Any:
        conv = ConversationFactory(account=granted, renter_name=name, **kwargs)
        for n, direction in enumerate(turns):
            MessageFactory(conversation=conv, direction=direction, sent_at=t0 + dt.timedelta(minutes=n))
        inbound = [t0 + dt.timedelta(minutes=n) for n, d in enumerate(turns) if d == "in"]
        conv.last_inbound_at = inbound[-1] if inbound else None
        conv.save(update_fields=["last_inbound_at"])
        return conv

    answered = talk("Ann", "in", "out")  # The bot (or a person) answered: the renter's turn.
    talk("Ben", "in", "out", "in")  # The renter wrote again: ours.
    talk("Cat", "in")  # Not answered yet.
    talk("Dan", "in", "out", human_required=True)  # Answered, but held for a person since.
    with_draft = talk("Eve", "in", "out")
    OutboundFactory(conversation=with_draft, status="draft", body="And parking is included.")

    def names(query: str) -> set[str]:
        with django_assert_max_num_queries(6):
            response = agent_client.get(f"/api/v1/conversations/?{query}")
        assert response.status_code == 200
        return {row["renter_name"] for row in response.json()["results"]}

    # then
    assert names("waiting_on_renter=true") == {"Ann"}
    assert names("waiting_on_renter=false") == {"Ben", "Cat", "Dan", "Eve"}
    # and the renter's next message takes the conversation out of it
    MessageFactory(conversation=answered, sent_at=t0 + dt.timedelta(minutes=5))
    answered.last_inbound_at = t0 + dt.timedelta(minutes=5)
    answered.save(update_fields=["last_inbound_at"])
    assert names("waiting_on_renter=true") == set()
    refused = agent_client.get("/api/v1/conversations/?waiting_on_renter=maybe")
    assert refused.status_code == 400
    assert "waiting_on_renter" in refused.json()
