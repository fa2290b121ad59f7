"""Through the real ingest job (real connector, real Chromium, the sandbox): a renter is one person across threads.

A renter writes in two threads (two listings) and another renter in a third. The
connector reads the renter's profile id from the replica's pages into ``sender_handle``,
ingest stores it as the conversations' ``renter_handle``; a "STOP" in one thread then
silences the other one too, and ``erase_contact --handle`` erases both.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dispatch.services import ingest_account_run
from inbox.models import Conversation, Message, OutboundMessage
from inbox.privacy import ERASED
from inbox.suppression import contact_is_suppressed
from platforms.browser import BrowserRuntime
from platforms.models import BotSettings, Platform, PlatformAccount
from platforms.sandbox.client import SandboxClient
from platforms.sandbox.server import SandboxServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pw-identity-4410"


@pytest.mark.parametrize(("platform", "profile"), [("spareroom", "plain"), ("roomies", "realistic")])
def test_a_stop_in_one_thread_silences_the_renters_other_thread_and_erasure_reaches_both(
    own_sandbox: SandboxServer,
    ingest_runtime: BrowserRuntime,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    profile: str,
) -> None:
    # given: Dana (profile 481516) in two threads, Kim (990011) in a third, on a real replica
    client = SandboxClient(own_sandbox.url)
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    username = f"identity-{platform}@example.com"
    client.create_account(platform, username, PASSWORD)
    client.set_profile(platform, username, profile, seed=2)
    monkeypatch.setenv("IDENTITY_PW", PASSWORD)
    account = PlatformAccount.objects.create(
        platform=Platform.objects.get(slug=platform),
        label=f"identity-{platform}",
        username=username,
        credential_ref="env:IDENTITY_PW",
        base_url=client.base_url(platform),
    )
    dana_a = client.seed_message(
        platform,
        username,
        renter_name="Dana",
        body="Is the room still free?",
        renter_handle="481516",
        listing_ref="5001",
    )
    dana_b = client.seed_message(
        platform,
        username,
        renter_name="Dana",
        body="Is the studio free too?",
        renter_handle="481516",
        listing_ref="5002",
    )
    kim = client.seed_message(platform, username, renter_name="Kim", body="Is it available?", renter_handle="990011")
    assert ingest_account_run(account_id=account.pk).new_inbound == 3
    conversations = {c.thread_ref: c for c in Conversation.objects.filter(account=account)}
    a, b, k = (conversations[str(s["thread_id"])] for s in (dana_a, dana_b, kim))
    assert (a.renter_handle, b.renter_handle, k.renter_handle) == ("481516", "481516", "990011")
    assert OutboundMessage.objects.filter(conversation=b).exclude(status="cancelled").exists()

    # when: Dana says stop in the first thread, and the next ingest reads it
    client.seed_message(platform, username, renter_name="Dana", body="STOP", thread_id=dana_a["thread_id"])
    ingest_account_run(account_id=account.pk)

    # then: both of Dana's threads are opted out and nothing unsent is left for her; Kim's is untouched
    a.refresh_from_db()
    b.refresh_from_db()
    k.refresh_from_db()
    assert (a.opted_out, b.opted_out, k.opted_out) == (True, True, False)
    assert set(OutboundMessage.objects.filter(conversation__in=[a, b]).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert OutboundMessage.objects.filter(conversation=k).exclude(status="cancelled").exists()

    # when: she writes again in the other thread, the bot stays silent there
    before = OutboundMessage.objects.filter(conversation=b).count()
    client.seed_message(platform, username, renter_name="Dana", body="Hello? Anyone?", thread_id=dana_b["thread_id"])
    ingest_account_run(account_id=account.pk)
    assert OutboundMessage.objects.filter(conversation=b).count() == before

    # when: she asks to be erased, by her profile id
    out = io.StringIO()
    call_command("erase_contact", "--platform", platform, "--handle", "481516", stdout=out)

    # then: both threads are erased, Kim's is not, and she stays suppressed
    assert "conversations=2" in out.getvalue()
    for conversation in (a, b):
        conversation.refresh_from_db()
        assert (conversation.renter_name, conversation.renter_handle) == ("", "")
        assert set(Message.objects.filter(conversation=conversation).values_list("body", flat=True)) == {ERASED}
    assert Message.objects.filter(conversation=k).exclude(body=ERASED).exists()
    assert contact_is_suppressed(platform, "481516")
