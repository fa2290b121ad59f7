"""The two promises when the site shows our reply its own way: once on the platform, or held as unknown.

Hypothesis draws how the platform renders text (the sandbox's transforms: curly quotes,
links, emoji images, paragraphs, entities, signatures...) and where the worker dies
(before the click, between the click and the commit, after the commit). Whatever it
draws, the reply appears on the platform exactly once or waits for a person as
``unknown``; ingest never takes the bot's own message for a person's; no renter message
is lost. Real workers and Chromium over the realistic replicas prove the same in
tests/dispatch/test_reliability.py and make chaos; this is the fast, exhaustive version.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from dispatch import services
from inbox import holds
from inbox import services as inbox_services
from inbox.choices import ReasonCode
from inbox.models import Conversation, Message, OutboundMessage
from platforms.connectors.base import Receipt
from platforms.sandbox.render import Profile
from tests.dispatch.fakes import FakePlatform
from tests.inbox.factories import ConversationFactory
from tests.platforms.strategies import profiles, render, typed_texts

CRASHES = ("none", "before_click", "after_click", "after_commit")


def _lease_expired(row: OutboundMessage) -> None:
    OutboundMessage.objects.filter(pk=row.pk).update(sending_started_at=timezone.now() - timedelta(hours=1))


def _send_with_crash(fake: FakePlatform, row: OutboundMessage, crash: str) -> None:
    """Run the send job; ``crash`` says where the worker dies (the row is left as that moment left it)."""
    if crash == "none":
        services.send_account_run(account_id=row.account_id)
        return
    if crash == "before_click":
        # Claimed and committed `sending`, then killed before the click: nothing reached the platform.
        OutboundMessage.objects.filter(pk=row.pk).update(
            status="sending", sending_started_at=timezone.now(), attempts=1
        )
        return
    # Killed after the click: the platform took the reply; `sent` was committed or not.
    conversation = Conversation.objects.get(pk=row.conversation_id)
    outbound_before = sum(1 for m in fake.messages if m.thread_ref == conversation.thread_ref and m.direction == "out")
    started = timezone.now()
    fake.sent.append((conversation.thread_ref, row.body))
    item = fake.inbound(conversation.thread_ref, row.body, direction="out", sender="us")
    OutboundMessage.objects.filter(pk=row.pk).update(
        status="sending", sending_started_at=started, attempts=1, outbound_before=outbound_before
    )
    if crash == "after_commit":
        inbox_services.outbound_mark_sent(
            outbound_id=row.pk, receipt=Receipt(conversation.thread_ref, item.message_ref, item.sent_at)
        )


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    typed=typed_texts(min_pieces=2),
    profile=profiles(),
    markup=st.sampled_from(["br", "paragraphs", "pre", "text"]),
    crash=st.sampled_from(CRASHES),
)
def test_every_reply_reaches_the_platform_once_or_waits_for_a_person(
    fake_platform: FakePlatform, auto_send, typed: str, profile: Profile, markup: str, crash: str
) -> None:  # type: ignore[no-untyped-def]
    # given: the platform shows texts its own way, and a renter wrote
    platform = fake_platform
    platform.messages.clear()
    platform.sent.clear()
    platform.render = lambda text: render(text, profile, markup, img_alt=True)
    conversation = ConversationFactory()
    platform.inbound(conversation.thread_ref, "Hi, is the room still free?", sender="Jamie")
    row = inbox_services.outbound_create(
        conversation=conversation, body=typed, purpose="reply", dispatch_key=f"reply:prop:{conversation.pk}"
    )
    note(f"crash={crash} shown={platform.render(typed)!r}")
    assert row.status == "queued"

    # when: the send is cut short where drawn, the lease runs out, the sweep and ingest run
    _send_with_crash(platform, row, crash)
    _lease_expired(row)
    services.send_account_run(account_id=row.account_id)
    services.send_account_run(account_id=row.account_id)
    services.ingest_account_run(account_id=row.account_id)

    # then: on the platform once, or held for a person (never twice, never silently dropped)
    row.refresh_from_db()
    times = sum(1 for _thread, body in platform.sent if body == typed)
    assert (row.status, times) in {("sent", 1), ("unknown", 1)}, (row.status, times, row.outcome_evidence)
    if row.status == "unknown":
        assert holds.has(Conversation.objects.get(pk=row.conversation_id).human_reasons, ReasonCode.OUTCOME_UNKNOWN)
    # and: ingest took our message for ours, not a person's; the renter's message is stored
    conversation.refresh_from_db()
    assert not holds.has(conversation.human_reasons, ReasonCode.HUMAN_REPLIED)
    assert Message.objects.filter(conversation=conversation, direction="in").count() == 1
    OutboundMessage.objects.filter(pk=row.pk).delete()


def _crashed_after_click(fake: FakePlatform, shown_as: str) -> OutboundMessage:
    """A queued reply whose worker died after the click; the platform shows ``shown_as`` in its place."""
    conversation = ConversationFactory()
    fake.inbound(conversation.thread_ref, "Hi, is the room still free?", sender="Jamie")
    row = inbox_services.outbound_create(
        conversation=conversation, body="Yes, it's free from June 1.", purpose="reply", dispatch_key="reply:crash"
    )
    fake.render = lambda text: shown_as if text == row.body else text
    _send_with_crash(fake, row, "after_click")
    _lease_expired(row)
    return row


def test_an_unrecognised_message_after_a_crash_holds_the_reply_as_unknown(
    fake_platform: FakePlatform, auto_send
) -> None:  # type: ignore[no-untyped-def]
    # given: after the crash the thread shows one more message of ours, in a form we cannot match
    row = _crashed_after_click(fake_platform, "[message removed by moderation]")
    # when: the sweep reconciles the row
    summary = services.send_account_run(account_id=row.account_id)
    services.send_account_run(account_id=row.account_id)
    # then: no second send; the row waits for a person with the evidence, the conversation is escalated
    row.refresh_from_db()
    assert summary.unknown == 1
    assert row.status == "unknown"
    assert len(fake_platform.sent) == 1
    assert row.outcome_evidence["verdict"] == "unknown"
    assert [c["body"] for c in row.outcome_evidence["candidates"]] == ["[message removed by moderation]"]
    assert row.outcome_evidence["outbound_before"] == 0
    assert "outcome_unknown" in holds.codes(row.hold_reasons)
    conversation = Conversation.objects.get(pk=row.conversation_id)
    assert holds.has(conversation.human_reasons, ReasonCode.OUTCOME_UNKNOWN)


def test_a_person_says_it_was_sent_and_ingest_then_knows_the_message_as_ours(
    fake_platform: FakePlatform, auto_send, agent_user
) -> None:  # type: ignore[no-untyped-def]
    row = _crashed_after_click(fake_platform, "[message removed by moderation]")
    services.send_account_run(account_id=row.account_id)
    ref = OutboundMessage.objects.get(pk=row.pk).outcome_evidence["candidates"][0]["ref"]
    # when: the agent looked at the thread and picks the candidate
    row = inbox_services.outbound_resolve_unknown(outbound_id=row.pk, actor=agent_user, sent=True, message_ref=ref)
    services.ingest_account_run(account_id=row.account_id)
    # then: sent with that ref, never sent again, and ingest does not take it for a person's reply
    assert (row.status, row.platform_message_ref) == ("sent", ref)
    assert len(fake_platform.sent) == 1
    conversation = Conversation.objects.get(pk=row.conversation_id)
    assert not holds.has(conversation.human_reasons, ReasonCode.HUMAN_REPLIED)
    assert Message.objects.get(conversation=conversation, platform_message_ref=ref).sent_by_bot


def test_a_person_says_it_was_not_sent_and_it_goes_out_once(fake_platform: FakePlatform, auto_send, agent_user) -> None:  # type: ignore[no-untyped-def]
    row = _crashed_after_click(fake_platform, "[message removed by moderation]")
    services.send_account_run(account_id=row.account_id)
    row = inbox_services.outbound_resolve_unknown(outbound_id=row.pk, actor=agent_user, sent=False)
    assert row.status == "queued"
    services.send_account_run(account_id=row.account_id)
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
    assert [body for _thread, body in fake_platform.sent].count(
        row.body
    ) == 2  # The first landed unseen; a person chose.


def test_resolving_needs_an_unknown_outcome_and_one_of_its_candidates(
    fake_platform: FakePlatform, auto_send, agent_user
) -> None:  # type: ignore[no-untyped-def]
    from leasebot.core.exceptions import NotAllowed, ValidationFailed

    row = _crashed_after_click(fake_platform, "[message removed by moderation]")
    with pytest.raises(NotAllowed):  # Still `sending`: nothing to resolve yet.
        inbox_services.outbound_resolve_unknown(outbound_id=row.pk, actor=agent_user, sent=True)
    services.send_account_run(account_id=row.account_id)
    with pytest.raises(ValidationFailed):
        inbox_services.outbound_resolve_unknown(outbound_id=row.pk, actor=agent_user, sent=True, message_ref="m-nope")
