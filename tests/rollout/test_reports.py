"""Leasing reports: first-reply speed, the funnel and opt-outs, per group, through the service, API and page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from inbox.models import AgentProfile, Decision, Message, Showing
from platforms.models import Platform
from rollout.reports import leasing_report, percentile
from rollout.templatetags.report_format import local_time
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory, UnitFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def _lead(account, unit, t0, *, reply_after=None, bot=True, opted_out=False):  # type: ignore[no-untyped-def]
    conversation = ConversationFactory(account=account, unit=unit, opted_out=opted_out)
    MessageFactory(conversation=conversation, sent_at=t0)
    if reply_after is not None:
        Message.objects.create(
            conversation=conversation,
            direction="out",
            platform_message_ref=f"out-{conversation.pk}",
            body="Hello",
            sent_at=t0 + timedelta(seconds=reply_after),
            sent_by_bot=bot,
        )
    return conversation


@pytest.fixture
def leads(db):  # type: ignore[no-untyped-def]
    t0 = timezone.now() - timedelta(days=2)
    spareroom = PlatformAccountFactory(label="sr")
    roomies = PlatformAccountFactory(label="rm", platform=Platform.objects.get(slug="roomies"))
    u1, u2 = UnitFactory(name="A1"), UnitFactory(name="B2")
    agent = UserFactory(role="agent")
    _lead(spareroom, u1, t0, reply_after=20)
    _lead(spareroom, u1, t0, reply_after=300, bot=False)
    _lead(spareroom, None, t0, opted_out=True)
    booked = _lead(roomies, u2, t0, reply_after=40)
    cancelled = _lead(roomies, u2, t0, reply_after=100)
    _lead(spareroom, u1, t0 - timedelta(days=40), reply_after=1)  # Outside the period.
    start = t0 + timedelta(days=3)
    Showing.objects.create(
        unit=u2, agent=agent, conversation=booked, starts_at=start, ends_at=start + timedelta(minutes=30)
    )
    Showing.objects.create(
        unit=u2,
        agent=agent,
        conversation=cancelled,
        starts_at=start + timedelta(hours=2),
        ends_at=start + timedelta(hours=2, minutes=30),
        status="cancelled",
    )
    Decision.objects.create(
        conversation=booked,
        message=booked.messages.first(),
        engine="rules",
        intent="application",
        workflow_outcome="application",
        showing_state="booked",
        follow_up_stage="none",
    )
    return {"spareroom": spareroom, "roomies": roomies, "u1": u1, "u2": u2}


def _period():  # type: ignore[no-untyped-def]
    now = timezone.now()
    return {"start": now - timedelta(days=30), "end": now}


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([20, 40, 100, 300], 50) == 70
    assert percentile([20, 40, 100, 300], 95) == pytest.approx(270)
    assert percentile([], 50) is None


def test_report_totals(leads):
    totals = leasing_report(**_period())["totals"]
    assert (totals["leads"], totals["answered"]) == (5, 4)
    assert totals["first_reply"] == {"count": 4, "median_seconds": 70.0, "p95_seconds": 270.0}
    assert totals["first_reply_bot"] == {"count": 3, "median_seconds": 40.0, "p95_seconds": 94.0}
    assert totals["first_reply_human"] == {"count": 1, "median_seconds": 300.0, "p95_seconds": 300.0}
    assert (totals["within_60s"], totals["within_60s_share"]) == (2, 0.4)
    assert (totals["leads_with_showing"], totals["lead_to_showing"]) == (1, 0.2)
    assert totals["showing_to_application"] == 1.0
    assert (totals["opt_outs"], totals["opt_out_share"]) == (1, 0.2)


def test_report_per_platform_account_and_unit(leads):
    by_platform = {g["label"]: g for g in leasing_report(**_period(), group_by="platform")["groups"]}
    assert {k: v["leads"] for k, v in by_platform.items()} == {"roomies": 2, "spareroom": 3}
    assert by_platform["roomies"]["lead_to_showing"] == 0.5
    by_account = {g["label"]: g["leads"] for g in leasing_report(**_period(), group_by="account")["groups"]}
    assert by_account == {"roomies/rm": 2, "spareroom/sr": 3}
    units = leasing_report(**_period(), group_by="unit")["groups"]
    assert [g["leads"] for g in units] == [2, 2, 1]
    assert units[-1]["label"] == "unlinked"


def test_report_reply_before_the_first_inbound_does_not_count(leads):
    conversation = _lead(leads["spareroom"], None, timezone.now() - timedelta(hours=1))
    Message.objects.create(
        conversation=conversation,
        direction="out",
        platform_message_ref="early",
        body="Listing intro",
        sent_at=timezone.now() - timedelta(hours=2),
        sent_by_bot=False,
    )
    totals = leasing_report(**_period())["totals"]
    assert (totals["leads"], totals["answered"]) == (6, 4)


def test_reports_api_for_ops_and_admins_only(leads, ops_user, agent_user):
    client = Client()
    client.force_login(ops_user)
    response = client.get("/api/v1/reports/", {"group_by": "unit", "hours": 24 * 30})
    assert response.status_code == 200, response.content
    assert response.json()["totals"]["leads"] == 5
    assert client.get("/api/v1/reports/", {"group_by": "listing"}).status_code == 400
    client.force_login(agent_user)
    assert client.get("/api/v1/reports/").status_code == 403


def test_reports_api_since_until_dates(leads, admin_user):
    client = Client()
    client.force_login(admin_user)
    today = timezone.now().date()
    data = client.get("/api/v1/reports/", {"since": str(today - timedelta(days=5)), "until": str(today)}).json()
    assert data["totals"]["leads"] == 5


@pytest.mark.urls("tests.rollout.urls")
def test_reports_page_renders_the_table(leads, admin_user, agent_user):
    client = Client()
    client.force_login(admin_user)
    # An empty form field means "not given" (the browser sends since= when the date is left blank).
    response = client.get("/reports/", {"group_by": "platform", "since": "", "until": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<th scope="row">spareroom</th>' in html
    assert '<th scope="row">roomies</th>' in html
    assert "40%" in html  # Within 60 s, all leads.
    # Readable: durations in words, the period's dates with the zone's name, no raw timestamps or dashes.
    assert "median 5 min · p95 5 min (1)" in html  # The spareroom lead a person answered in 300 s.
    assert "p50 5 min · p90 5 min (1)" in html
    assert re.search(r"from <time datetime=\S+>\w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC</time>", html)
    assert "\N{EN DASH}" not in html
    assert " / " not in html.split("<table>")[1].split("</table>")[0].replace("spareroom/", "")
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+\+00:00<", html)
    bad = client.get("/reports/", {"since": "nonsense"})
    assert bad.status_code == 400
    assert "ISO 8601" in bad.content.decode()
    client.force_login(agent_user)
    assert client.get("/reports/").status_code == 403


@pytest.mark.urls("tests.rollout.urls")
def test_reports_page_needs_a_login(db):
    response = Client().get("/reports/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _reply(conversation, at, *, bot, ref):  # type: ignore[no-untyped-def]
    return Message.objects.create(
        conversation=conversation, direction="out", platform_message_ref=ref, body="Hi", sent_at=at, sent_by_bot=bot
    )


def test_human_reply_time_counts_review_ui_replies_and_platform_replies_not_the_bots(db):
    # given: four waits in the period
    t0 = timezone.now() - timedelta(days=1)
    account = PlatformAccountFactory(label="sr")
    agent = UserFactory(role="agent")
    # An agent approved the bot's draft in the review UI: lease-bot's browser sent it (sent_by_bot), 120 s later.
    approved = _lead(account, None, t0)
    OutboundFactory(
        conversation=approved,
        status="sent",
        platform_message_ref="a1",
        approved_by=agent,
        approved_at=t0 + timedelta(seconds=100),
        sent_at=t0 + timedelta(seconds=120),
    )
    _reply(approved, t0 + timedelta(seconds=120), bot=True, ref="a1")
    # An agent wrote a manual reply in the review UI, 600 s after the renter's second message.
    manual = _lead(account, None, t0)
    _reply(manual, t0 + timedelta(seconds=10), bot=True, ref="b0")  # The bot answered the first wait.
    MessageFactory(conversation=manual, sent_at=t0 + timedelta(seconds=60))
    MessageFactory(conversation=manual, sent_at=t0 + timedelta(seconds=90))  # Same wait: it began at 60 s.
    OutboundFactory(
        conversation=manual,
        status="sent",
        source="agent",
        platform_message_ref="b1",
        sent_at=t0 + timedelta(seconds=660),
    )
    _reply(manual, t0 + timedelta(seconds=660), bot=True, ref="b1")
    # A person typed on the platform itself, 30 s later.
    typed = _lead(account, None, t0)
    _reply(typed, t0 + timedelta(seconds=30), bot=False, ref="c1")
    # The bot answered alone: no human reply time.
    bot_only = _lead(account, None, t0)
    _reply(bot_only, t0 + timedelta(seconds=5), bot=True, ref="d1")

    report = leasing_report(**_period())

    # then: three waits a person ended (120, 600, 30 s); p50 120 s, p90 504 s
    assert report["totals"]["human_reply"] == {"count": 3, "p50_seconds": 120.0, "p90_seconds": 504.0}
    # and the approved draft's first reply counts as a person's, not the bot's
    assert report["totals"]["first_reply_human"]["count"] == 2
    assert report["totals"]["first_reply_bot"]["count"] == 2


def test_human_reply_time_is_none_without_data(db):
    report = leasing_report(**_period())
    assert report["totals"]["human_reply"] == {"count": 0, "p50_seconds": None, "p90_seconds": None}


@pytest.mark.urls("tests.rollout.urls")
def test_reports_page_says_no_data_yet_and_shows_dates_in_the_readers_zone(db, admin_user):
    AgentProfile.objects.create(user=admin_user, timezone="America/New_York")
    client = Client()
    client.force_login(admin_user)
    html = client.get("/reports/", {"since": "2026-01-05", "until": "2026-01-06"}).content.decode()
    assert "No data yet: no renter wrote in this period." in html
    assert "no data yet" in html  # The human reply time of the totals.
    assert "Mon, Jan 5, 2026, 12:00 AM EST" not in html  # Midnight UTC is the evening before in New York.
    assert "Sun, Jan 4, 2026, 7:00 PM EST" in html
    assert "Times in America/New_York." in html
    assert "\N{EN DASH}" not in html


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        # New York's autumn change, 2026-11-01: 1:27 AM happens twice, first in EDT, then in EST.
        ("2026-11-01T05:27:00+00:00", "Sun, Nov 1, 2026, 1:27 AM EDT"),
        ("2026-11-01T06:27:00+00:00", "Sun, Nov 1, 2026, 1:27 AM EST"),
        ("2026-07-04T16:00:00+00:00", "Sat, Jul 4, 2026, 12:00 PM EDT"),
    ],
)
def test_local_time_names_the_zone_even_in_the_repeated_autumn_hour(utc, shown):
    assert local_time(datetime.fromisoformat(utc), "America/New_York") == shown
