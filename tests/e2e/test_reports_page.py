"""The leasing reports page as a manager reads it in Chromium: dates and reply times in words, at desk and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import AgentProfile, Message
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)
#: A readable date with its zone's name: "Tue, Dec 1, 2026, 4:40 AM EST".
READABLE = re.compile(r"^\w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M E[SD]T$")


def _leads() -> None:
    """Two leads this week: one the bot answered in 20 s, one an agent approved from the review UI after 4 minutes."""
    t0 = timezone.now() - timedelta(days=1)
    agent = UserFactory(username="bob-agent", role="agent")
    account = PlatformAccountFactory(label="brooklyn")
    bot = ConversationFactory(account=account, renter_name="Ann")
    MessageFactory(conversation=bot, sent_at=t0)
    Message.objects.create(
        conversation=bot,
        direction="out",
        platform_message_ref="b1",
        body="Hi",
        sent_at=t0 + timedelta(seconds=20),
        sent_by_bot=True,
    )
    person = ConversationFactory(account=account, renter_name="Ben")
    MessageFactory(conversation=person, sent_at=t0)
    sent_at = t0 + timedelta(minutes=4)
    OutboundFactory(
        conversation=person,
        status="sent",
        platform_message_ref="p1",
        approved_by=agent,
        approved_at=sent_at,
        sent_at=sent_at,
    )
    # lease-bot's browser delivered the approved reply, so the platform shows it as ours.
    Message.objects.create(
        conversation=person,
        direction="out",
        platform_message_ref="p1",
        body="Hi Ben",
        sent_at=sent_at,
        sent_by_bot=True,
    )


def test_manager_reads_dates_and_reply_times_in_words(pages: Any, shot: Callable[..., None]) -> None:
    # given: two leads, and a manager (ops) who works in New York time
    _leads()
    olga = UserFactory(username="olga-ops", role="ops")
    AgentProfile.objects.create(user=olga, timezone="America/New_York")

    # when: she opens the reports from the review desk's menu
    page = pages.login("olga-ops")
    page.goto(pages.base_url + "/review/health/")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r"/reports/$"))

    # then: the period's dates read like dates, with the zone's name; no raw timestamps
    times = page.locator("p.period time")
    expect(times).to_have_count(2)
    for text in times.all_inner_texts():
        assert READABLE.match(text), text
    expect(page.locator("body")).not_to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"))
    expect(page.locator("body")).not_to_contain_text("\N{EN DASH}")

    # and the human reply time counts the agent's approved reply (4 min), the bot's first reply counts as the bot's
    total = page.locator("tfoot tr.total")
    expect(total.locator("td.human-reply")).to_have_text("p50 4 min · p90 4 min (1)")
    expect(total.locator("td").nth(3)).to_have_text("median 20 s · p95 20 s (1)")
    expect(total.locator("td").nth(4)).to_have_text("median 4 min · p95 4 min (1)")
    shot(page, "reports")

    # when: a period with no leads
    page.fill("input[name=since]", "2020-01-06")
    page.fill("input[name=until]", "2020-01-07")
    page.click("button[type=submit]")

    # then: an honest "no data yet", not dashes
    expect(page.locator("tbody")).to_contain_text("No data yet: no renter wrote in this period.")
    expect(total.locator("td.human-reply")).to_have_text("no data yet")
    assert pages.errors == []


def test_reports_at_phone_width_scroll_the_table_inside_its_box(pages: Any, shot: Callable[..., None]) -> None:
    _leads()
    UserFactory(username="olga-ops", role="ops")
    page = pages.login("olga-ops", viewport=PHONE)
    page.goto(pages.base_url + "/reports/?group_by=account")
    expect(page.locator("tbody th[scope=row]")).to_have_text(["spareroom/brooklyn"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the reports page scrolls sideways at phone width ({width} px)"
    scroller = page.locator(".table-scroll")
    assert scroller.evaluate("n => n.scrollWidth > n.clientWidth"), "the table should scroll inside its box"
    expect(page.locator("tbody th[scope=row]")).to_have_css("position", "sticky")
    shot(page, "reports-phone")
    assert pages.errors == []
