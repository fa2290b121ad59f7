"""Contract tests, in real Chromium against the sandbox, for each of the five platforms.

Each runs on the plain replica and again with each realism trait that changes what the
connector parses pinned on its own (``date_formats`` on every replica, ``object_literal``
in both styles on Roomies, each layout variant besides the classic one, ``thread_paging``
showing one message a screen), with thread paging and deferred lists on the redesigned
pages (where the site has them), and once on the whole realistic profile with every trait
on (the redesigned layout, the consent banner and the interstitial modal pinned, replies
shown after a second), so a connector is held to the same contract on pages shaped like
the real site's. ``make test`` runs a rotation of that matrix, ``make chaos`` all of it (``FULL``).
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from platforms.sandbox.control import RENDERINGS
from platforms.textmatch import match
from tests.platforms.conftest import PLATFORMS

pytestmark = pytest.mark.browser

Pin = tuple[str, dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Setup:
    """How a run shows the replica: a profile and the traits pinned on top of it (the plain setup: none)."""

    name: str
    pins: tuple[Pin, ...] = ()
    profile: str = "plain"
    #: Pin only the traits the replica declares (a combination: each site gets the part it really has).
    declared_only: bool = False

    def applies_to(self, platform: str) -> bool:
        """Run where the replica declares a pinned trait (elsewhere it would test nothing new), or the realistic profile."""
        declared = RENDERINGS[platform].realistic
        return not self.pins or self.profile == "realistic" or any(trait in declared for trait, _ in self.pins)

    def pins_for(self, platform: str) -> tuple[Pin, ...]:
        declared = RENDERINGS[platform].realistic
        return tuple(pin for pin in self.pins if not self.declared_only or pin[0] in declared)

    def on(self, platform: str, trait: str) -> bool:
        pinned = any(t == trait for t, _ in self.pins_for(platform))
        return pinned or (self.profile == "realistic" and trait in RENDERINGS[platform].realistic)


#: The plain replica; each parsing trait pinned alone; each layout variant; one message a screen
#: (thread paging), on the classic pages and on the redesign with the lists filled in late; all of
#: it (overlays included).
SETUPS = [
    Setup("plain"),
    Setup("date_formats", (("date_formats", {}),)),
    Setup("object_literal-literal", (("object_literal", {"style": "literal"}),)),
    Setup("object_literal-laravel_js", (("object_literal", {"style": "laravel_js"}),)),
    Setup("layout-redesign", (("layout", {"variant": "redesign"}),)),
    # One message a screen: every older one behind the site's own control (button, scroll or link).
    Setup("thread_paging", (("thread_paging", {"latest": 1}),)),
    # The same on the redesigned pages, the list's items (where the site defers them) added by script late.
    Setup(
        "redesign-paged",
        (
            ("layout", {"variant": "redesign"}),
            ("thread_paging", {"latest": 1}),
            ("deferred_list", {"shown": 0}),
        ),
        declared_only=True,
    ),
    Setup(
        "realistic",
        (
            ("layout", {"variant": "redesign"}),
            ("consent_banner", {}),
            ("interstitial", {}),
            ("delayed_visibility", {"seconds": 1.0}),
        ),
        profile="realistic",
    ),
]
#: ``make test`` runs the two ends of the matrix (plain, realistic) on every site and each setup
#: in between on one site that has it, a different site for each in turn; ``make chaos``
#: (``LEASEBOT_CHAOS_FULL=1``) runs every setup on every site that has it. The parsing traits
#: are also met per site by their own tests (``test_dates*``, ``test_jsdata``,
#: ``test_page_behaviour``, ``test_overlays``): the matrix proves they compose.
FULL = os.environ.get("LEASEBOT_CHAOS_FULL") == "1"


def _short_rotation() -> dict[str, str]:
    """Each setup between the ends on one site: the site that has it and has had the fewest so far."""
    load = dict.fromkeys(PLATFORMS, 0)
    chosen = {}
    for setup in SETUPS:
        if setup.name in {"plain", "realistic"}:
            continue
        site = min((p for p in PLATFORMS if setup.applies_to(p)), key=lambda p: (load[p], PLATFORMS.index(p)))
        load[site] += 1
        chosen[setup.name] = site
    return chosen


SHORT = _short_rotation()
VARIANTS = [
    pytest.param(platform, setup, id=f"{platform}-{setup.name}")
    for setup in SETUPS
    for platform in PLATFORMS
    if setup.applies_to(platform) and (FULL or SHORT.get(setup.name, platform) == platform)
]


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _pin(acct: Any, setup: Setup) -> None:
    if setup.profile != "plain":
        acct.client.set_profile(acct.platform, acct.username, setup.profile, seed=0)
    for trait, knobs in setup.pins_for(acct.platform):
        acct.client.pin_trait(acct.platform, acct.username, trait, **knobs)


def _slack(platform: str, setup: Setup) -> timedelta:
    """How far below a message's real time the reported time may lie: the shown form's precision.

    SpareRoom's realistic thread dates show minutes ("Today 3:05 PM EDT"): a message is
    reported at the start of its minute. Every other page keeps an exact value.
    """
    if setup.on(platform, "date_formats") and platform == "spareroom":
        return timedelta(minutes=1) - timedelta(microseconds=1)
    return timedelta(0)


def _assert_setup_seen(acct: Any, setup: Setup) -> None:
    """The run met what it set up: the redesign matched by its own candidates, older messages
    loaded through the site's control, the modal dismissed."""
    lmap = acct.connector.locators
    if setup.on(acct.platform, "layout"):
        for group in ("inbox.rows", "thread.messages"):
            assert acct.connector.matches[group] != lmap.group(group).item.candidates[0], group
    paged = any(trait == "thread_paging" for trait, _ in setup.pins_for(acct.platform))  # One message a screen.
    if paged and RENDERINGS[acct.platform].realistic["thread_paging"]["style"][0] != "scroll":
        # A button or link the connector must use (a sentinel in a short list loads by itself).
        assert "thread.earlier" in acct.connector.matches
    if setup.on(acct.platform, "interstitial"):
        assert "overlay.interstitial" in acct.connector.matches


def _assert_shown(setup: Setup, typed: str, shown: str) -> None:
    """The text as typed; on the realistic profile, as the site renders it (curly quotes, signatures...)."""
    if setup.profile == "realistic":
        assert match(typed, shown).full, (typed, shown)
    else:
        assert shown == typed


@pytest.mark.parametrize(("platform", "setup"), VARIANTS)
def test_fetch_new_messages_reads_every_page_oldest_first_and_nothing_twice(platform, setup, make_account):
    # given: seven threads (three inbox pages of three), one with a reply a human agent
    # typed on the platform and a second renter message after it
    acct = make_account(platform)
    _pin(acct, setup)
    slack = _slack(platform, setup)
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
    _assert_shown(setup, "Hello, is listing 0 still free?\nI can move in May.", m0.body)
    assert _at(seeded[0]["sent_at"]) - slack <= m0.sent_at <= _at(seeded[0]["sent_at"])
    assert all(m.sent_at.second == 0 for m in first) or not slack  # Really minutes, when the page shows minutes.
    assert m0.listing_ref == "5000"
    assert m0.listing_title == "Sunny room 0"
    assert m0.listing_url.startswith(acct.config.base_url)
    assert m0.sender_name == "Renter 0"
    human = by_ref[str(agent["message_id"])]
    assert human.direction == "out"
    _assert_shown(setup, "Yes, it is. When can you visit?", human.body)

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
    _assert_setup_seen(acct, setup)


@pytest.mark.parametrize(("platform", "setup"), VARIANTS)
def test_send_message_posts_the_reply_exactly_once_and_find_sent_reads_it_back(platform, setup, make_account):
    # given
    acct = make_account(platform)
    _pin(acct, setup)
    slack = _slack(platform, setup)
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
