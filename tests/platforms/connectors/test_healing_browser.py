"""In real Chromium against the replicas: locators that heal when a site renames its markup.

Each replica's ``renamed`` layout (platforms/sandbox/replicas/renamed.py) is the change a
site ships without notice: classes and ids renamed, the message text moved one level. The
connector, given the database memory, keeps reading through healing and records proposals;
a send waits for a person's acceptance; after acceptance (an override row, no restart) it
sends. A change nothing matches is drift as before; a healing that reads nonsense is drift too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from platforms.choices import HealingStatus
from platforms.connectors.errors import HealingPending, SelectorDrift
from platforms.connectors.registry import build_connector
from platforms.connectors.web import BrowserConnector
from platforms.healing import DatabaseMemory, healing_accept, override_revert
from platforms.models import HealingEvent, LocatorFingerprint, LocatorOverride, Platform
from tests.platforms.conftest import PLATFORMS, SandboxAccount
from tests.platforms.factories import PlatformAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

#: What the renamed build breaks on each site that a read needs (optional fields heal too: sender names, dates).
HEALED = {
    "spareroom": {"inbox.rows", "thread.messages", "thread.messages.body", "thread.messages.date"},
    "leasebreak": {"thread.messages", "thread.messages.body"},
    "renthop": {"inbox.rows", "thread.messages", "thread.messages.body"},
    "furnishedfinder": {"inbox.rows", "thread.messages", "thread.messages.body", "thread.messages.time"},
    "roomies": set(),
}


def _connector(acct: SandboxAccount) -> BrowserConnector:
    """A fresh connector for the account (a later job) with the database memory, as workers build it."""
    connector = build_connector(acct.config, runtime=acct.runtime, guard=acct.guard, memory=DatabaseMemory())
    assert isinstance(connector, BrowserConnector)
    return connector


@pytest.fixture
def remembering(make_account: Callable[..., SandboxAccount]) -> Callable[[str], SandboxAccount]:
    """A sandbox account with its twin row (fingerprints belong to an account) and two renters' threads."""

    def make(platform: str) -> SandboxAccount:
        acct = make_account(platform)
        PlatformAccountFactory(id=acct.config.account_id, platform=Platform.objects.get(slug=platform))
        acct.seed(renter_name="Ari Lane", body="Hi, is the room still free from the first of next month?")
        acct.seed(renter_name="Bo Reyes", body="Could I see it on Saturday morning, around ten or so?")
        return acct

    return make


def _shape(messages: list[Any]) -> list[tuple[str, ...]]:
    return [(m.thread_ref, m.message_ref, m.direction, m.sender_name, " ".join(m.body.split())) for m in messages]


@pytest.mark.slow
@pytest.mark.parametrize("platform", PLATFORMS)
def test_renamed_pages_are_read_through_healing_and_sends_wait_for_acceptance(platform, remembering, admin_user):
    # given: one classic read, which leaves the fingerprints
    acct = remembering(platform)
    before = _connector(acct).fetch_new_messages(None)
    assert len(before) == 2
    assert LocatorFingerprint.objects.filter(account_id=acct.config.account_id, key="thread.messages").exists()
    stored = LocatorFingerprint.objects.filter(account_id=acct.config.account_id).count()

    # when: the site ships its renamed build
    acct.client.pin_trait(platform, acct.username, "layout", variant="renamed")
    reader = _connector(acct)
    after = reader.fetch_new_messages(None)

    # then: the same messages, read through healed locators, each healing an open proposal
    assert _shape(after) == _shape(before)
    assert [m.sent_at for m in after] == [m.sent_at for m in before]
    assert HEALED[platform] <= set(reader.healed)
    events = HealingEvent.objects.filter(platform__slug=platform, status=HealingStatus.OPEN)
    assert {e.key for e in events} == set(reader.healed)
    assert all(e.score >= 0.7 and e.evidence["before"] and e.evidence["after"] for e in events)
    # Nothing of a renter's text is in the evidence.
    assert not any("room still free" in str(e.evidence) for e in events)
    # A second classic-to-renamed read changes no stored fingerprint of a healed key.
    assert LocatorFingerprint.objects.filter(account_id=acct.config.account_id).count() >= stored

    thread = after[0].thread_ref
    if HEALED[platform]:
        # when: a send on the renamed pages, before anyone accepted the proposals
        with pytest.raises(HealingPending) as held:
            _connector(acct).send_message(thread, "Yes, it is still free.")
        # then: nothing left, and the hold names a proposal
        assert acct.sent() == []
        assert HealingEvent.objects.filter(pk=held.value.extra["proposal"], status=HealingStatus.OPEN).exists()

        # when: a person accepts the proposals
        for event in events:
            healing_accept(event_id=event.pk, actor=admin_user, reason="the site's new build")
        assert LocatorOverride.objects.filter(platform__slug=platform, active=True).count() == len(events)

    # then: the next job (a new connector, no restart) sends through the overrides, healing nothing
    sender = _connector(acct)
    receipt = sender.send_message(thread, "Yes, it is still free.")
    assert receipt.thread_ref == thread
    assert len(acct.sent()) == 1
    assert sender.healed == {}


def test_a_reverted_override_heals_again_and_holds_the_send(remembering, admin_user):
    # given: spareroom renamed, its proposals accepted
    acct = remembering("spareroom")
    _connector(acct).fetch_new_messages(None)
    acct.client.pin_trait("spareroom", acct.username, "layout", variant="renamed")
    reader = _connector(acct)
    thread = reader.fetch_new_messages(None)[0].thread_ref
    for event in HealingEvent.objects.filter(platform__slug="spareroom", status=HealingStatus.OPEN):
        healing_accept(event_id=event.pk, actor=admin_user, reason="new build")
    body = LocatorOverride.objects.get(platform__slug="spareroom", key="thread.messages.body", active=True)

    # when: one override is taken back (one click)
    assert override_revert(override_id=body.pk, actor=admin_user, reason="wrong element after all") is None

    # then: the next read heals that key again (the proposal was accepted, so it is proposed anew) and a send waits
    assert not LocatorOverride.objects.filter(platform__slug="spareroom", key="thread.messages.body", active=True)
    with pytest.raises(HealingPending):
        _connector(acct).send_message(thread, "Still free.")
    assert acct.sent() == []


def test_a_change_nothing_matches_above_the_cap_is_drift_and_loses_nothing(remembering):
    # given: fingerprints from a classic read, then the site's page changes beyond recognition
    acct = remembering("spareroom")
    _connector(acct).fetch_new_messages(None)
    acct.seed(renter_name="Cy Moss", body="Is parking included with the room, or is that extra?")
    acct.fault("drift")

    # when / then: drift as before, no healing event, nothing sent
    with pytest.raises(SelectorDrift) as drift:
        _connector(acct).fetch_new_messages(None)
    assert not isinstance(drift.value, HealingPending)
    assert not HealingEvent.objects.filter(platform__slug="spareroom").exists()
    assert acct.sent() == []

    # and once the page is readable again, every message is still there to read
    acct.client.clear_faults("spareroom", acct.username)
    assert len(_connector(acct).fetch_new_messages(None)) == 3


def test_a_healing_that_reads_a_different_element_is_drift_not_data(remembering):
    # given: a thread read once (fingerprints stored), then the date replaced by a similar element
    acct = remembering("spareroom")
    connector = _connector(acct)
    thread = connector.fetch_new_messages(None)[0].thread_ref
    connector.goto(connector.url("thread", thread_ref=thread))
    connector.page.evaluate(
        """() => document.querySelectorAll('dd.message_date').forEach((dd) => {
             dd.className = 'message-state'; dd.textContent = 'Delivered'; })"""
    )

    # when: the date heals to the element in its place, whose value is no date
    with pytest.raises(SelectorDrift) as drift:
        connector.read_thread(thread, earlier=False)

    # then: drift, and the healing is marked wrong (it will not be used again)
    event = HealingEvent.objects.get(platform__slug="spareroom", key="thread.messages.date")
    assert event.status == HealingStatus.FAILED
    assert drift.value.extra["healing_failed"] == [event.pk]
    assert "message-state" in event.proposed
