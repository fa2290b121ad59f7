"""Contract tests, in real Chromium against the sandbox, for each of the five platforms.

Each runs on the plain replica and again with each realism trait that changes what the
connector parses pinned on its own (``date_formats`` on every replica, ``object_literal``
in both styles on Roomies), so a connector is held to the same contract on pages shaped
like the real site's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from platforms.sandbox.control import RENDERINGS
from tests.platforms.conftest import PLATFORMS

pytestmark = pytest.mark.browser

#: (trait, knobs) pinned for a run; None: the plain replica.
PINS: list[tuple[str, dict[str, Any]] | None] = [
    None,
    ("date_formats", {}),
    ("object_literal", {"style": "literal"}),
    ("object_literal", {"style": "laravel_js"}),
    # One message a screen: every older one behind the site's own control (button, scroll or link).
    ("thread_paging", {"latest": 1}),
]
VARIANTS = [
    pytest.param(
        platform,
        pin,
        id=f"{platform}-{'plain' if pin is None else pin[0]}{''.join(f'-{v}' for v in (pin or ('', {}))[1].values())}",
    )
    for platform in PLATFORMS
    for pin in PINS
    if pin is None or pin[0] in RENDERINGS[platform].realistic
]


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _pin(acct: Any, pin: tuple[str, dict[str, Any]] | None) -> None:
    if pin is not None:
        acct.client.pin_trait(acct.platform, acct.username, pin[0], **pin[1])


def _slack(platform: str, pin: tuple[str, dict[str, Any]] | None) -> timedelta:
    """How far below a message's real time the reported time may lie: the shown form's precision.

    SpareRoom's realistic thread dates show minutes ("Today 3:05 PM EDT"): a message is
    reported at the start of its minute. Every other page keeps an exact value.
    """
    if pin is not None and pin[0] == "date_formats" and platform == "spareroom":
        return timedelta(minutes=1) - timedelta(microseconds=1)
    return timedelta(0)


@pytest.mark.parametrize(("platform", "pin"), VARIANTS)
def test_fetch_new_messages_reads_every_page_oldest_first_and_nothing_twice(platform, pin, make_account):
    # given: seven threads (three inbox pages of three), one with a reply a human agent
    # typed on the platform and a second renter message after it
    acct = make_account(platform)
    _pin(acct, pin)
    slack = _slack(platform, pin)
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=3)
    seeded = []
    for i in range(7):
        seeded.append(
            acct.seed(
                renter_name=f"Renter {i}",
                body=f"Hello, is listing {i} still free?\nI can move in May.",
                listing_ref=str(5000 + i),
                listing_title=f"Sunny room {i}",
                sent_at=start + timedelta(minutes=i),
            )
        )
    agent = acct.client.add_outbound(
        platform,
        acct.username,
        thread_id=seeded[2]["thread_id"],
        body="Yes, it is. When can you visit?",
        sent_at=start + timedelta(minutes=10),
    )
    follow = acct.seed(
        renter_name="Renter 2",
        thread_id=seeded[2]["thread_id"],
        body="Tuesday works.",
        sent_at=start + timedelta(minutes=11),
    )

    # when
    first = acct.connector.fetch_new_messages(None)

    # then: every message, both directions, oldest first, with the platform's ids and times
    expected_refs = [str(s["message_id"]) for s in seeded] + [str(agent["message_id"]), str(follow["message_id"])]
    assert [m.message_ref for m in first] == expected_refs
    assert [m.sent_at for m in first] == sorted(m.sent_at for m in first)
    by_ref = {m.message_ref: m for m in first}
    m0 = by_ref[str(seeded[0]["message_id"])]
    assert m0.thread_ref == str(seeded[0]["thread_id"])
    assert m0.direction == "in"
    assert m0.body.splitlines() == ["Hello, is listing 0 still free?", "I can move in May."]
    assert _at(seeded[0]["sent_at"]) - slack <= m0.sent_at <= _at(seeded[0]["sent_at"])
    assert all(m.sent_at.second == 0 for m in first) or not slack  # Really minutes, when the page shows minutes.
    assert m0.listing_ref == "5000"
    assert m0.listing_title == "Sunny room 0"
    assert m0.listing_url.startswith(acct.config.base_url)
    assert m0.sender_name == "Renter 0"
    human = by_ref[str(agent["message_id"])]
    assert human.direction == "out"
    assert human.body == "Yes, it is. When can you visit?"

    # when: two new messages arrive, one in a new thread and one in the oldest thread
    since = max(m.sent_at for m in first)
    now = datetime.now(tz=UTC).replace(microsecond=0)
    fresh = acct.seed(
        renter_name="Renter 7", body="Still available?", listing_ref="5007", sent_at=now - timedelta(seconds=30)
    )
    again = acct.seed(
        renter_name="Renter 0", thread_id=seeded[0]["thread_id"], body="Any news?", sent_at=now - timedelta(seconds=10)
    )
    second = acct.connector.fetch_new_messages(since)

    # then: exactly those two, in order; and a third read finds nothing new
    assert [m.message_ref for m in second] == [str(fresh["message_id"]), str(again["message_id"])]
    assert acct.connector.fetch_new_messages(max(m.sent_at for m in second)) == []
    assert acct.stats()["logins"] == 1


@pytest.mark.parametrize(("platform", "pin"), VARIANTS)
def test_send_message_posts_the_reply_exactly_once_and_find_sent_reads_it_back(platform, pin, make_account):
    # given
    acct = make_account(platform)
    _pin(acct, pin)
    slack = _slack(platform, pin)
    seeded = acct.seed(renter_name="Dana", body="Can I see the room this week?", listing_ref="777")
    started = datetime.now(tz=UTC)
    body = "Hi Dana,\nyes: Tuesday 6pm or Thursday 5pm?"

    # when
    receipt = acct.connector.send_message(str(seeded["thread_id"]), body)

    # then: the replica received it once, as typed (browsers send textarea line breaks as CRLF)
    sent = acct.sent()
    assert len(sent) == 1
    assert sent[0]["body"] == body.replace("\n", "\r\n")
    assert receipt.message_ref == str(sent[0]["message_id"])
    assert receipt.thread_ref == str(seeded["thread_id"])
    assert receipt.sent_at >= started.replace(microsecond=0) - timedelta(seconds=1) - slack
    thread = next(t for t in acct.threads() if t["id"] == seeded["thread_id"])
    assert [m["body"] for m in thread["messages"] if m["direction"] == "out"] == [body]

    # and: read-back finds the same receipt, and ingest reports it as ours
    assert acct.connector.find_sent(str(seeded["thread_id"]), body, started).receipt == receipt
    never = acct.connector.find_sent(str(seeded["thread_id"]), "a reply never sent", started, outbound_before=1)
    assert (never.verdict.value, never.receipt) == ("absent", None)
    ours = [
        m for m in acct.connector.fetch_new_messages(started - timedelta(seconds=5) - slack) if m.direction == "out"
    ]
    assert [m.message_ref for m in ours] == [receipt.message_ref]
