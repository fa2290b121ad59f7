"""Erasure really removes a renter's data, keeps the facts, suppresses by hash, and records itself."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from dispatch.models import DeadLetter, DispatchAttempt
from inbox import privacy
from inbox.choices import OutboundStatus
from inbox.models import AllowListEntry, Conversation, Decision, Message, OutboundMessage, SuppressionEntry
from leasebot.core.models import AuditLog
from tests.dispatch.factories import DeadLetterFactory
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db

NAME = "Zelda Quintero"
HANDLE = "zelda_q77"
SECRET_TEXT = "call me on 917-555-0188, I live at 12 Orchard St"


@pytest.fixture
def renter(db):  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory(label="sr")
    conversation = ConversationFactory(
        account=account, renter_name=NAME, renter_handle=HANDLE, lead_profile={"budget": 2000, "occupation": "nurse"}
    )
    inbound = MessageFactory(conversation=conversation, sender_name=NAME, body=f"Hi, I'm {NAME}, {SECRET_TEXT}")
    Message.objects.create(
        conversation=conversation,
        direction="out",
        platform_message_ref="o1",
        body=f"Hi {NAME}!",
        sent_at=timezone.now(),
        sent_by_bot=True,
    )
    Decision.objects.create(
        conversation=conversation,
        message=inbound,
        engine="rules",
        intent="availability",
        workflow_outcome="engaged",
        showing_state="none",
        follow_up_stage="none",
        reply_text=f"Hi {NAME}!",
        extracted={"phone": "917-555-0188"},
    )
    sent = OutboundFactory(
        conversation=conversation,
        in_reply_to=inbound,
        body=f"Hi {NAME}! Edited.",
        original_body=f"Hi {NAME}!",
        status=OutboundStatus.SENT,
        sent_at=timezone.now(),
        dispatch_key="reply:1",
    )
    draft = OutboundFactory(
        conversation=conversation,
        in_reply_to=inbound,
        body=f"Dear {NAME}",
        original_body=f"Dear {NAME}",
        status=OutboundStatus.PENDING_REVIEW,
        hold_reasons=[{"code": "guardrail", "category": "personal_data", "detail": f"quotes {SECRET_TEXT}"}],
        dispatch_key="reply:2",
    )
    dead = OutboundFactory(
        conversation=conversation, body=f"Follow-up for {NAME}", status=OutboundStatus.DEAD, dispatch_key="fu:1"
    )
    DeadLetterFactory(
        account=account,
        outbound=dead,
        stage="send",
        error_message=f"rejected text 'Follow-up for {NAME}'",
        payload={"outbound_id": dead.pk, "dispatch_key": "fu:1", "body": f"Follow-up for {NAME}"},
    )
    DispatchAttempt.objects.create(
        outbound=dead,
        account=account,
        platform="spareroom",
        stage="send",
        outcome="fail",
        error_class="Permanent",
        error_message=f"rejected 'Follow-up for {NAME}'",
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    other = ConversationFactory(account=account, renter_name="Other Person", renter_handle="other1")
    MessageFactory(conversation=other, body="Keep me")
    return {"conversation": conversation, "sent": sent, "draft": draft, "dead": dead, "other": other}


def _tables_containing(*needles: str) -> list[str]:
    """Return the tables whose rows mention any needle anywhere (a whole-database search)."""
    hits = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            for needle in needles:
                cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE %s', [f"%{needle}%"])  # noqa: S608 - table names come from pg_tables.
                if cursor.fetchone()[0]:
                    hits.append(f"{table}:{needle}")
    return hits


def test_erase_contact_removes_the_renter_everywhere(renter):
    # given: the renter's name, handle and text are stored in many tables
    assert _tables_containing(NAME, HANDLE, "917-555-0188")
    # when
    out = io.StringIO()
    call_command("erase_contact", "--platform", "spareroom", "--handle", HANDLE.upper(), stdout=out)
    # then: nothing in the whole database mentions them any more
    assert _tables_containing(NAME, HANDLE, "917-555-0188", "Orchard") == []
    assert "conversations=1" in out.getvalue()


def test_erase_contact_keeps_the_facts(renter):
    privacy.erase_contact(platform_slug="spareroom", handle=HANDLE, actor=None, reason="renter request")
    conversation = Conversation.objects.get(pk=renter["conversation"].pk)
    assert (conversation.renter_name, conversation.renter_handle, conversation.lead_profile) == ("", "", {})
    assert conversation.opted_out is True
    assert conversation.messages.count() == 2
    assert set(conversation.messages.values_list("body", flat=True)) == {privacy.ERASED}
    sent = OutboundMessage.objects.get(pk=renter["sent"].pk)
    assert sent.status == OutboundStatus.SENT
    assert sent.body == privacy.ERASED
    assert sent.original_body == privacy.ERASED_EDITED  # The agent's edit stays a fact.
    draft = OutboundMessage.objects.get(pk=renter["draft"].pk)
    assert draft.status == OutboundStatus.CANCELLED
    assert draft.hold_reasons == [{"code": "guardrail", "category": "personal_data", "detail": ""}]
    letter = DeadLetter.objects.get(outbound=renter["dead"])
    assert letter.payload == {"outbound_id": renter["dead"].pk, "dispatch_key": "fu:1"}
    decision = Decision.objects.get(conversation=conversation)
    assert (decision.reply_text, decision.extracted, decision.intent) == ("", {}, "availability")
    # The other renter is untouched.
    other = Conversation.objects.get(pk=renter["other"].pk)
    assert other.renter_name == "Other Person"
    assert other.messages.get().body == "Keep me"


def test_erasure_suppresses_by_hash_only_and_is_audited(renter):
    AllowListEntry.objects.create(
        kind="renter", contact_hash=privacy.contact_hash("spareroom", HANDLE), platform="spareroom"
    )
    privacy.erase_contact(platform_slug="spareroom", handle=HANDLE, actor=None, reason="renter request")
    entry = SuppressionEntry.objects.get()
    assert entry.contact_hash == privacy.contact_hash("spareroom", HANDLE)
    assert HANDLE not in entry.contact_hash
    assert entry.is_active
    assert not AllowListEntry.objects.exists()
    audit = AuditLog.objects.get(action="privacy.erase")
    assert audit.after["conversations"] == 1
    assert audit.after["conversation_ids"] == [renter["conversation"].pk]
    assert HANDLE not in json.dumps(audit.after)
    assert NAME not in audit.reason


def test_erase_unknown_contact_still_suppresses(db):
    result = privacy.erase_contact(platform_slug="roomies", handle="never-seen", actor=None)
    assert result.conversations == 0
    assert result.suppressed
    assert SuppressionEntry.objects.filter(platform="roomies").count() == 1


def test_erase_by_conversation(renter):
    call_command("erase_contact", "--conversation", str(renter["conversation"].pk), stdout=io.StringIO())
    assert Conversation.objects.get(pk=renter["conversation"].pk).renter_name == ""
    assert SuppressionEntry.objects.count() == 1


def test_erase_contact_command_needs_one_target(db):
    with pytest.raises(CommandError, match="either"):
        call_command("erase_contact")
    with pytest.raises(CommandError, match="together"):
        call_command("erase_contact", "--platform", "spareroom")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("erase_contact", "--conversation", "999999")


def test_purge_expired_erases_only_old_quiet_conversations(renter, settings):
    settings.LEASEBOT_RENTER_DATA_RETENTION_DAYS = 30
    old = renter["other"]
    long_ago = timezone.now() - timedelta(days=60)
    Conversation.objects.filter(pk=old.pk).update(created_at=long_ago, last_inbound_at=long_ago)
    Message.objects.filter(conversation=old).update(sent_at=long_ago)
    # when
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "1 conversation(s)" in out.getvalue()
    call_command("purge_expired", stdout=io.StringIO())
    # then: the old one is erased (not suppressed: retention is not a request); the recent one is kept
    assert Conversation.objects.get(pk=old.pk).renter_name == ""
    assert Message.objects.get(conversation=old).body == privacy.ERASED
    assert Conversation.objects.get(pk=renter["conversation"].pk).renter_name == NAME
    assert not SuppressionEntry.objects.exists()
    assert AuditLog.objects.get(action="privacy.erase").actor_label == "system:retention"
    # and a second run finds nothing left to do
    assert privacy.purge_expired().conversations == 0


def test_purge_with_zero_retention_keeps_everything(renter, settings):
    settings.LEASEBOT_RENTER_DATA_RETENTION_DAYS = 0
    assert privacy.purge_expired().conversations == 0
