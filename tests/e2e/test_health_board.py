"""The health board as ops read it: the work waiting and how far behind each platform is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Message, OutboundMessage
from leasebot.core import pending
from platforms.connectors.healing import Healing
from platforms.healing import DatabaseMemory, override_set
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

PHONE = (390, 844)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ops_see_the_jobs_waiting_and_the_ingest_lag(pages: Any) -> None:
    # given: a SpareRoom account last read 20 minutes ago, with an ingest job waiting for 90 s
    UserFactory(username="olga-ops", role="ops")
    account = PlatformAccountFactory(label="astoria")
    account.last_ingest_success_at = timezone.now() - timedelta(minutes=20)
    account.save(update_fields=["last_ingest_success_at"])
    with time_machine.travel(timezone.now() - timedelta(seconds=90), tick=False):
        assert pending.reserve("ingest", account.pk, 120)
    # when: ops open the health board
    page = pages.login("olga-ops")
    page.goto(pages.base_url + "/review/health/")
    # then: the work waiting says one ingest job, waiting for over a minute (flagged)
    waiting = page.locator("[data-board='queues'] dd[data-jobs='ingest']")
    expect(waiting).to_contain_text("1 (oldest 2 min)")
    expect(waiting).to_have_class("warn")
    expect(page.locator("[data-board='queues'] dd[data-jobs='send']")).to_have_text("0")
    # and the platform's card says how far behind its reads are, flagged past ten minutes
    card = page.locator("section[data-platform='spareroom']")
    expect(card.locator("dd[data-fact='ingest-lag']")).to_have_text("20 min")
    expect(card.locator("dd[data-fact='ingest-lag']")).to_have_class("warn")
    expect(card.locator("dd[data-fact='jobs-waiting']")).to_have_text("1 / 0")
    assert pages.errors == []


def test_ops_see_the_first_reply_latency(pages: Any) -> None:
    # given: a renter message read 5 s and answered 75 s after the platform dated it (past the minute)
    UserFactory(username="omar-ops", role="ops")
    conversation = ConversationFactory(account=PlatformAccountFactory(label="bushwick"))
    written = timezone.now() - timedelta(minutes=3)
    message = MessageFactory(conversation=conversation, sent_at=written)
    Message.objects.filter(pk=message.pk).update(seen_at=written + timedelta(seconds=5))
    reply = OutboundFactory(conversation=conversation, in_reply_to=message)
    OutboundMessage.objects.filter(pk=reply.pk).update(created_at=written + timedelta(seconds=75))
    # when: ops open the health board
    page = pages.login("omar-ops")
    page.goto(pages.base_url + "/review/health/")
    # then: the first-reply board shows the platform's delays, the slow draft flagged
    row = page.locator("[data-board='first-reply'] tr[data-first-reply='spareroom']")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("p50 5s · p95 5s")
    expect(row.locator("td").nth(3)).to_have_class("warn")
    expect(page.locator("[data-board='first-reply'] tr[data-first-reply='all']")).to_be_visible()
    assert pages.errors == []


def test_ops_see_each_platforms_locators_their_origin_and_the_healing_waiting(pages: Any) -> None:
    # given: on SpareRoom, the reply box healed (a proposal, one send held) and the message list overridden
    UserFactory(username="oscar-ops", role="ops")
    admin = UserFactory(username="ada-admin", role="admin")
    account = PlatformAccountFactory(label="astoria")
    DatabaseMemory().record_healing(
        Healing(
            platform="spareroom",
            account_id=account.pk,
            key="reply.body",
            kind="element",
            old=("textarea[name='message']",),
            proposed="textarea.c1a2b3c",
            score=0.83,
            evidence={},
            held=True,
        )
    )
    override_set(platform="spareroom", key="thread.messages", value="li[id^='msg_']", actor=admin, reason="new build")

    # when: ops open the health board and the platform's locators
    page = pages.login("oscar-ops")
    page.goto(pages.base_url + "/review/health/")
    card = page.locator("section[data-platform='spareroom']")
    summary = card.locator("summary[data-fact='locators']")
    expect(summary).to_contain_text("1 from overrides · healing: 1 waiting, 0 failed validation, 1 send(s) held")
    summary.click()

    # then: the proposal with its score, and each locator with the selector in force and where it comes from
    expect(card.locator("table[data-healing='spareroom'] tbody tr")).to_contain_text(
        ["reply.bodytextarea.c1a2b3c0.83open"]
    )
    expect(card.locator("tr[data-locator='thread.messages'] td").nth(2)).to_have_text("override v1")
    expect(card.locator("tr[data-locator='reply.body'] td").nth(2)).to_have_text("code")
    expect(page.locator("section[data-platform='roomies'] summary[data-fact='locators']")).to_contain_text("0 waiting")
    assert pages.errors == []


def test_health_board_at_phone_width_shows_depth_lag_and_oldest_job_without_cutting_off(
    pages: Any, shot: Callable[..., None]
) -> None:
    # given: an account read 20 minutes ago with an ingest job waiting for 90 s
    UserFactory(username="olga-ops", role="ops")
    account = PlatformAccountFactory(label="astoria-long-island-city")
    account.last_ingest_success_at = timezone.now() - timedelta(minutes=20)
    account.save(update_fields=["last_ingest_success_at"])
    with time_machine.travel(timezone.now() - timedelta(seconds=90), tick=False):
        assert pending.reserve("ingest", account.pk, 120)
    # ... and a switched-off account with a reply whose send was under way when it stopped
    stopped = PlatformAccountFactory(label="bushwick", is_active=False)
    OutboundFactory(
        conversation=ConversationFactory(account=stopped),
        status="sending",
        queued_at=timezone.now(),
        sending_started_at=timezone.now(),
    )

    # when: ops open the health board on a phone
    page = pages.login("olga-ops", viewport=PHONE)
    page.goto(pages.base_url + "/review/health/")

    # then: the figures read in words, the page never scrolls sideways, wide tables scroll in their box
    card = page.locator("section[data-platform='spareroom']")
    expect(card.locator("dd[data-fact='ingest-lag']")).to_have_text("20 min")
    expect(card.locator("dd[data-fact='oldest-job']")).to_have_text("2 min")
    expect(card.locator("dd[data-fact='oldest-queued']")).to_have_text("none queued")
    expect(card.locator("dd[data-fact='unconfirmed-stopped']")).to_contain_text(
        "1 reply was being sent when the account was switched off"
    )
    expect(page.locator("section[data-platform='roomies'] dd[data-fact='unconfirmed-stopped']")).to_have_count(0)
    expect(page.locator("[data-board='queues'] dd[data-jobs='ingest']")).to_contain_text("1 (oldest 2 min)")
    expect(page.locator("section[data-platform='roomies'] dd[data-fact='ingest-lag']")).to_have_text("not read yet")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the health page scrolls sideways at phone width ({width} px)"
    lag = card.locator("dd[data-fact='ingest-lag']").bounding_box()
    assert lag is not None
    assert lag["x"] + lag["width"] <= PHONE[0]
    first_cell = card.locator(f"tr[data-account='{account.pk}'] td").first
    expect(first_cell).to_have_css("position", "sticky")
    shot(page, "health-phone")
    assert pages.errors == []
