"""A renter is a person on a platform, not a thread: opt-out, the allow-list and erasure reach all their threads."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from inbox.models import AllowListEntry, Conversation, Message, OutboundMessage
from inbox.privacy import ERASED
from inbox.services import inbound_decide, outbound_reply_manual, suppression_lift
from inbox.suppression import (
    allowlist_add_renter,
    contact_is_suppressed,
    conversation_is_allowlisted,
    conversations_of_contact,
)
from leasebot.core.exceptions import NotAllowed
from leasebot.core.models import AuditLog
from platforms.models import Platform
from tests.platforms.factories import AgentFactory, PlatformAccountFactory

pytestmark = pytest.mark.django_db


def test_an_opt_out_in_one_thread_silences_the_same_renters_other_threads(world, auto_send) -> None:  # type: ignore[no-untyped-def]
    # given: Dana in two threads (on two of our accounts), Kim in a third; each got a reply queued
    first = world.conversation(renter_handle="dana_481516")
    second_account = PlatformAccountFactory(label="second-team")
    second = world.conversation(renter_handle="DANA_481516", account=second_account)
    kim = world.conversation(renter_handle="kim_1")
    for conversation in (first, second, kim):
        inbound_decide(message_id=world.inbound("Is the room still available?", conversation=conversation).pk)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"queued"}

    # when: Dana says stop in the first thread
    inbound_decide(message_id=world.inbound("STOP", conversation=first).pk)

    # then: her other thread is opted out too and its unsent reply withdrawn; Kim's is untouched
    second.refresh_from_db()
    assert second.opted_out
    assert second.next_follow_up_at is None
    assert OutboundMessage.objects.get(conversation=second).status == "cancelled"
    assert OutboundMessage.objects.get(conversation=second).rejected_reason == "opt_out"
    assert OutboundMessage.objects.get(conversation=kim).status == "queued"
    assert not Conversation.objects.get(pk=kim.pk).opted_out
    applied = AuditLog.objects.get(action="suppression.apply")
    assert applied.after["conversation_ids"] == sorted([first.pk, second.pk])
    assert "dana" not in str(applied.after).lower()  # Ids only, never the handle.
    # and an agent cannot write to her there either
    with pytest.raises(NotAllowed):
        outbound_reply_manual(conversation=second, actor=AgentFactory(), body="Hi Dana!", idempotency_key="k1")

    # when: an agent lifts it from the first thread, both threads reopen
    suppression_lift(conversation_id=first.pk, actor=AgentFactory(), reason="renter asked to resume")
    assert not Conversation.objects.get(pk=second.pk).opted_out
    assert not Conversation.objects.get(pk=first.pk).opted_out
    assert not contact_is_suppressed("spareroom", "dana_481516")


def test_an_opt_out_reaches_a_thread_that_starts_later(world, auto_send) -> None:  # type: ignore[no-untyped-def]
    first = world.conversation(renter_handle="lee_7")
    inbound_decide(message_id=world.inbound("STOP", conversation=first).pk)
    later = world.conversation(renter_handle="lee_7")
    assert inbound_decide(message_id=world.inbound("Is it available?", conversation=later).pk) is None
    assert not OutboundMessage.objects.filter(conversation=later).exists()
    later.refresh_from_db()
    assert later.opted_out


def test_the_allow_list_admits_a_renter_in_every_thread_of_theirs(world) -> None:  # type: ignore[no-untyped-def]
    one = world.conversation(renter_handle="lee_7")
    two = world.conversation(renter_handle=" LEE_7 ", account=PlatformAccountFactory(label="other-team"))
    kim = world.conversation(renter_handle="kim_1")
    no_handle = world.conversation(renter_handle="")
    allowlist_add_renter(platform="spareroom", handle="lee_7")
    assert conversation_is_allowlisted(one)
    assert conversation_is_allowlisted(two)
    assert not conversation_is_allowlisted(kim)
    assert not conversation_is_allowlisted(no_handle)


def test_the_same_handle_on_another_platform_is_another_person(world) -> None:  # type: ignore[no-untyped-def]
    here = world.conversation(renter_handle="481516")
    elsewhere = world.conversation(
        renter_handle="481516", account=PlatformAccountFactory(platform=Platform.objects.get(slug="roomies"))
    )
    assert list(conversations_of_contact("spareroom", "481516")) == [here]
    assert list(conversations_of_contact("roomies", "481516")) == [elsewhere]


def test_a_thread_without_a_handle_is_a_contact_of_its_own(world) -> None:  # type: ignore[no-untyped-def]
    lone = world.conversation(renter_handle="")
    named = world.conversation(renter_handle="dana_1", thread_ref=lone.thread_ref)  # Same ref, another account.
    stand_in = f"thread:{lone.account_id}:{lone.thread_ref}"
    assert list(conversations_of_contact("spareroom", stand_in)) == [lone]
    assert named not in conversations_of_contact("spareroom", stand_in)
    assert not conversations_of_contact("spareroom", "thread:x:1").exists()


def test_erase_contact_by_handle_erases_every_thread_of_that_renter(world) -> None:  # type: ignore[no-untyped-def]
    # given: Dana in two threads on two accounts, with messages and a lead profile; Kim elsewhere
    dana = [
        world.conversation(renter_handle="dana_481516", renter_name="Dana Ortiz", lead_profile={"budget": 1800}),
        world.conversation(
            renter_handle="Dana_481516", renter_name="Dana Ortiz", account=PlatformAccountFactory(label="team-b")
        ),
    ]
    for conversation in dana:
        world.inbound("I'm Dana, call 917-555-0101", conversation=conversation, sender_name="Dana Ortiz")
    kim = world.conversation(renter_handle="kim_1", renter_name="Kim Lee")
    world.inbound("Kim here", conversation=kim, sender_name="Kim Lee")
    allowlist_add_renter(platform="spareroom", handle="dana_481516")

    # when
    out = io.StringIO()
    call_command("erase_contact", "--platform", "spareroom", "--handle", "DANA_481516", stdout=out)

    # then: both of Dana's threads are erased and suppressed; Kim's is untouched
    assert "conversations=2" in out.getvalue()
    for conversation in dana:
        conversation.refresh_from_db()
        assert (conversation.renter_name, conversation.renter_handle, conversation.lead_profile) == ("", "", {})
        assert conversation.opted_out
        assert set(Message.objects.filter(conversation=conversation).values_list("body", flat=True)) == {ERASED}
    assert contact_is_suppressed("spareroom", "dana_481516")
    assert not AllowListEntry.objects.exists()
    kim.refresh_from_db()
    assert (kim.renter_name, kim.opted_out) == ("Kim Lee", False)
    assert Message.objects.get(conversation=kim).body == "Kim here"


def test_erase_contact_by_a_thread_stand_in_erases_that_thread_only(world) -> None:  # type: ignore[no-untyped-def]
    lone = world.conversation(renter_handle="", renter_name="No Profile")
    world.inbound("Hello from a site without profiles", conversation=lone)
    other = world.conversation(renter_handle="", renter_name="Someone Else")
    call_command("erase_contact", "--platform", "spareroom", "--handle", f"thread:{lone.account_id}:{lone.thread_ref}")
    lone.refresh_from_db()
    other.refresh_from_db()
    assert (lone.renter_name, lone.opted_out) == ("", True)
    assert (other.renter_name, other.opted_out) == ("Someone Else", False)
