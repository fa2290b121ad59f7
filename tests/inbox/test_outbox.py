"""The outbox's life cycle: creation by policy, edits, approval, rejection, manual replies."""

from __future__ import annotations

import pytest

from inbox import holds, services
from inbox.holds import HoldReason
from inbox.models import OutboundMessage
from leasebot.core.exceptions import Conflict, NotAllowed, ValidationFailed
from leasebot.core.models import AuditLog
from platforms.models import BotSettings
from tests.inbox.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

CLEAN = "Hi Jamie, yes the room is still available from June 1. Would Tuesday at 6pm work for a viewing?"
RISKY = "Please wire the $500 deposit via Western Union before the viewing to hold it."


def _create(conversation, body=CLEAN, key="reply:1", **kw):  # type: ignore[no-untyped-def]
    return services.outbound_create(conversation=conversation, body=body, purpose="reply", dispatch_key=key, **kw)


def test_create_same_key_twice_is_one_row(auto_send) -> None:  # type: ignore[no-untyped-def]
    conv = ConversationFactory()
    first = _create(conv)
    second = _create(conv, body="something else entirely")
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1


def test_create_auto_send_full_stage_queues(auto_send, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks() as callbacks:
        row = _create(ConversationFactory())
    assert row.status == "queued"
    assert row.queued_at is not None
    assert len(callbacks) == 1  # The send job is enqueued only after commit.


def test_create_draft_only_leaves_draft() -> None:
    row = _create(ConversationFactory())
    assert row.status == "draft"
    assert not row.shadow_would_send


def test_create_shadow_stage_drafts_and_records_would_send() -> None:
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="shadow")
    row = _create(ConversationFactory())
    assert row.status == "draft"
    assert row.shadow_would_send


def test_create_guardrail_flag_holds_for_review_in_every_mode(auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory(), body=RISKY)
    assert row.status == "pending_review"
    assert any(r.code == "guardrail" and r.category == "off_platform_payment" for r in holds.load(row.hold_reasons))


def test_create_hold_reason_holds(auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory(), hold_reasons=[HoldReason.of("low_confidence")])
    assert row.status == "pending_review"
    assert holds.codes(row.hold_reasons) == ["low_confidence"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("opted_out", True, "opt_out"),
        ("human_required", True, "human_required"),
    ],
)
def test_create_bot_stays_silent_where_a_human_must_act(auto_send, field, value, reason) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory(**{field: value}))
    assert row.status == "draft"
    assert reason in holds.codes(row.hold_reasons)


def test_create_inactive_account_drafts(auto_send) -> None:  # type: ignore[no-untyped-def]
    conv = ConversationFactory()
    type(conv.account).objects.filter(pk=conv.account_id).update(is_active=False)
    assert _create(conv).status == "draft"


def test_create_too_old_inbound_not_auto_sent(auto_send) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    BotSettings.objects.filter(pk=1).update(max_auto_send_age_minutes=60)
    msg = MessageFactory(sent_at=timezone.now() - timedelta(hours=3))
    row = _create(msg.conversation, in_reply_to=msg)
    assert row.status == "draft"
    assert "stale_inbound" in holds.codes(row.hold_reasons)


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001])
def test_create_bad_body_refused(body: str) -> None:
    with pytest.raises(ValidationFailed):
        _create(ConversationFactory(), body=body)


def test_edit_rejudges_guardrails(admin_user) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory())
    row = services.outbound_edit(outbound_id=row.pk, actor=admin_user, body=RISKY)
    assert "guardrail" in holds.codes(row.hold_reasons)
    row = services.outbound_edit(outbound_id=row.pk, actor=admin_user, body=CLEAN + " Thanks!")
    assert "guardrail" not in holds.codes(row.hold_reasons)
    assert row.original_body == CLEAN


def test_approve_queues_once_and_records_who(agent_user, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory())
    with django_capture_on_commit_callbacks() as callbacks:
        row = services.outbound_approve(outbound_id=row.pk, actor=agent_user)
    assert row.status == "queued"
    assert row.approved_by == agent_user
    assert len(callbacks) == 1
    with pytest.raises(NotAllowed):
        services.outbound_approve(outbound_id=row.pk, actor=agent_user)  # Already queued: not twice.
    assert AuditLog.objects.filter(action="outbound.approve", object_id=str(row.pk)).count() == 1


def test_approve_flagged_text_refused_with_reasons(agent_user) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory(), body=RISKY)
    with pytest.raises(ValidationFailed) as err:
        services.outbound_approve(outbound_id=row.pk, actor=agent_user)
    assert err.value.extra["reasons"]
    row.refresh_from_db()
    assert row.status == "pending_review"


def test_approve_on_inactive_account_refused(agent_user) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory())
    type(row.account).objects.filter(pk=row.account_id).update(is_active=False)
    with pytest.raises(NotAllowed, match="switched off"):
        services.outbound_approve(outbound_id=row.pk, actor=agent_user)


def test_reject_needs_reason_and_is_final(agent_user) -> None:  # type: ignore[no-untyped-def]
    row = _create(ConversationFactory())
    with pytest.raises(ValidationFailed):
        services.outbound_reject(outbound_id=row.pk, actor=agent_user, reason=" ")
    row = services.outbound_reject(outbound_id=row.pk, actor=agent_user, reason="wrong unit")
    assert row.status == "cancelled"
    with pytest.raises(NotAllowed):
        services.outbound_approve(outbound_id=row.pk, actor=agent_user)


def test_manual_reply_idempotency_key(agent_user) -> None:  # type: ignore[no-untyped-def]
    conv = ConversationFactory()
    first, created = services.outbound_reply_manual(
        conversation=conv, actor=agent_user, body=CLEAN, idempotency_key="k1"
    )
    again, created_again = services.outbound_reply_manual(
        conversation=conv, actor=agent_user, body=CLEAN, idempotency_key="k1"
    )
    assert created
    assert not created_again
    assert first.pk == again.pk
    with pytest.raises(Conflict):
        services.outbound_reply_manual(conversation=conv, actor=agent_user, body="other text", idempotency_key="k1")
    assert OutboundMessage.objects.filter(conversation=conv).count() == 1
    assert first.status == "queued"
    assert first.source == "agent"


@pytest.mark.parametrize("key", ["", " ", "k" * 101])
def test_manual_reply_bad_key_refused(agent_user, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed):
        services.outbound_reply_manual(
            conversation=ConversationFactory(), actor=agent_user, body=CLEAN, idempotency_key=key
        )


def test_manual_reply_flagged_refused_and_never_stored(agent_user) -> None:  # type: ignore[no-untyped-def]
    conv = ConversationFactory()
    with pytest.raises(ValidationFailed) as err:
        services.outbound_reply_manual(conversation=conv, actor=agent_user, body=RISKY, idempotency_key="k2")
    assert err.value.extra["reasons"]
    assert not OutboundMessage.objects.filter(conversation=conv).exists()
    assert AuditLog.objects.filter(action="outbound.manual_refused").exists()
