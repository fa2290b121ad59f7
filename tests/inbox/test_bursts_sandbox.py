"""One reply per burst on a real replica: the sandbox, real Chromium, the real ingest and send jobs.

A renter writes three quick messages; the renter sees one reply that answers them all. Then
the renter writes again while the bot is reading: the bot waits for the burst to settle (the
clock is moved only around the decision, never while the browser works) and answers once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from dispatch.services import ingest_account_run, send_account_run
from inbox import enqueue as inbox_enqueue
from inbox import tasks
from inbox.models import Conversation, Decision, ListingRef, Message, OutboundMessage
from platforms.browser import BrowserRuntime
from platforms.models import BotSettings, Platform, PlatformAccount
from platforms.sandbox.client import SandboxClient
from platforms.sandbox.server import SandboxServer
from tests.inbox.factories import RuleFactory, UnitFactory, assigned_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pw-burst-5521"
PLATFORM = "spareroom"
LISTING_REF = "7001"


def test_a_burst_gets_one_reply_and_a_burst_still_being_written_is_awaited(
    own_sandbox: SandboxServer, ingest_runtime: BrowserRuntime, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.LEASEBOT_BURST_WINDOW_S = 45
    settings.LEASEBOT_BURST_MAX_WAIT_S = 50
    # given: a described unit on a replica account that auto-sends
    unit = UnitFactory()
    agent = assigned_agent(unit, tz="America/New_York", primary=True)
    for weekday in range(7):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20))
        RuleFactory(agent=agent, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20))
    platform = Platform.objects.get(slug=PLATFORM)
    ListingRef.objects.create(listing=unit.listing, platform=platform, external_ref=LISTING_REF)
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    client = SandboxClient(own_sandbox.url)
    username = "burst@example.com"
    client.create_account(PLATFORM, username, PASSWORD)
    monkeypatch.setenv("BURST_PW", PASSWORD)
    account = PlatformAccount.objects.create(
        platform=platform,
        label="burst",
        username=username,
        credential_ref="env:BURST_PW",
        base_url=client.base_url(PLATFORM),
    )
    jobs: list[tuple[int, float]] = []
    monkeypatch.setattr(
        inbox_enqueue, "decide", lambda message_id, *, countdown=0: jobs.append((message_id, countdown))
    )

    # given: three quick messages, written two minutes ago (the burst has settled)
    start = timezone.now() - dt.timedelta(minutes=2)
    first = client.seed_message(
        PLATFORM, username, renter_name="Ana", body="Hi!", listing_ref=LISTING_REF, sent_at=start.isoformat()
    )
    thread = first["thread_id"]
    for seconds, body in ((10, "How much is the rent?"), (20, "Are dogs ok?")):
        client.seed_message(
            PLATFORM,
            username,
            renter_name="Ana",
            body=body,
            thread_id=thread,
            sent_at=(start + dt.timedelta(seconds=seconds)).isoformat(),
        )

    # when: the ingest job reads them and the send job sends
    assert ingest_account_run(account_id=account.pk).new_inbound == 3
    send_account_run(account_id=account.pk)

    # then: the renter sees exactly one reply, answering the rent and the dog
    sent = [s for s in client.sent(PLATFORM, username) if str(s.get("thread_id")) == str(thread)]
    assert len(sent) == 1
    assert "2,450" in sent[0]["body"]
    assert "small dogs" in sent[0]["body"]
    conversation = Conversation.objects.get(account=account, thread_ref=str(thread))
    assert Decision.objects.filter(conversation=conversation, superseded_by__isnull=True).count() == 1
    assert OutboundMessage.objects.filter(conversation=conversation).exclude(status="cancelled").count() == 1

    # when: the renter writes twice more, just now, and the ingest reads while the renter may still be typing
    now = timezone.now()
    for body in ("One more thing: is parking included?", "And when could I move in?"):
        client.seed_message(PLATFORM, username, renter_name="Ana", body=body, thread_id=thread, sent_at=now.isoformat())
    assert ingest_account_run(account_id=account.pk).new_inbound == 2

    # then: nothing is decided yet; the last message's decision job waits for the burst to settle
    waiting = list(Message.objects.filter(conversation=conversation, decide_after__isnull=False).order_by("pk"))
    assert len(waiting) == 2
    assert jobs
    assert jobs[-1][0] == waiting[-1].pk
    assert Decision.objects.filter(conversation=conversation).count() == 3  # The first burst's, two superseded.

    # when: the burst has settled and its job runs
    assert waiting[-1].decide_after is not None
    with time_machine.travel(waiting[-1].decide_after + dt.timedelta(seconds=1), tick=False):
        decision_id = tasks.decide_message(waiting[-1].pk)
    send_account_run(account_id=account.pk)

    # then: one more reply, answering both new messages
    decision = Decision.objects.get(pk=decision_id)
    assert sorted(decision.burst_message_ids) == [m.pk for m in waiting]
    sent = [s for s in client.sent(PLATFORM, username) if str(s.get("thread_id")) == str(thread)]
    assert len(sent) == 2
    assert "garage spot" in sent[1]["body"]
