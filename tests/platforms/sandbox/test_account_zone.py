"""The account's time zone on the replicas: set through the control API, printed on its pages (no browser)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from platforms.connectors.dates import TABLES, DateFormatError
from platforms.sandbox.client import SandboxClient, SandboxClientError
from platforms.sandbox.state import SandboxError, Thread
from tests.platforms.sandbox.pages import NOW, Site, build_sites, pin_randomness


def _username() -> str:
    return f"zone-{secrets.token_hex(4)}@example.com"


def test_the_control_api_creates_and_changes_an_accounts_zone(sandbox_client: SandboxClient) -> None:
    username = _username()
    made = sandbox_client.create_account("spareroom", username, "pw-Zone-1", time_zone="America/Los_Angeles")
    assert made["time_zone"] == "America/Los_Angeles"
    assert sandbox_client.set_time_zone("spareroom", username, "Europe/London")["time_zone"] == "Europe/London"
    assert sandbox_client.account("spareroom", username)["time_zone"] == "Europe/London"
    assert sandbox_client.set_time_zone("spareroom", username, "")["time_zone"] == ""  # Back to the site's own.
    plain = _username()
    assert sandbox_client.create_account("roomies", plain, "pw-Zone-1")["time_zone"] == ""


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../../etc/passwd", "America/New_York "])
def test_the_control_api_refuses_a_zone_nobody_knows(sandbox_client: SandboxClient, name: str) -> None:
    username = _username()
    with pytest.raises(SandboxClientError, match="not a known time zone"):
        sandbox_client.create_account("spareroom", username, "pw-Zone-1", time_zone=name)
    with pytest.raises(SandboxClientError, match="no account"):
        sandbox_client.account("spareroom", username)  # Refused whole: no account half made.
    sandbox_client.create_account("spareroom", username, "pw-Zone-1")
    with pytest.raises(SandboxClientError, match="not a known time zone"):
        sandbox_client.set_time_zone("spareroom", username, name)
    assert sandbox_client.account("spareroom", username)["time_zone"] == ""
    with pytest.raises(SandboxClientError, match="no account"):
        sandbox_client.set_time_zone("spareroom", "nobody@example.com", "Europe/London")


def _message(site: Site, age: timedelta) -> Thread:
    thread = site.state.new_thread(site.account, renter_name="Dana", listing_ref="100001", listing_title="Room")
    site.state.add_message(site.account, thread, direction="in", sender_name="Dana", body="Hi", sent_at=NOW - age)
    return thread


#: NOW - 2 h is 16:00 UTC on Thursday 12 March 2026: 12:00 EDT in New York (the site's own
#: zone), 09:00 PDT in Los Angeles (which sprang forward on the 8th), 16:00 GMT in London.
PRINTED = [
    # (platform, pinned trait or None, zone, page, what the page prints, what the site's own zone would print)
    ("spareroom", None, "America/Los_Angeles", "thread", "12 Mar 2026 09:00:00", "12 Mar 2026 12:00:00"),
    ("spareroom", "date_formats", "America/Los_Angeles", "thread", "Today 9:00 AM PDT", "Today 12:00 PM EDT"),
    ("spareroom", "date_formats", "Europe/London", "thread", "Today 4:00 PM GMT", "Today 12:00 PM EDT"),
    ("furnishedfinder", None, "Europe/London", "thread", "03/12/2026 04:00:00 PM", "03/12/2026 11:00:00 AM"),
    ("furnishedfinder", "date_formats", "America/Los_Angeles", "inbox", "9:00 AM", "11:00 AM"),
    ("leasebreak", "date_formats", "Europe/London", "thread", "March 12, 2026 16:00", "March 12, 2026 12:00"),
]


@pytest.mark.parametrize(("platform", "trait", "zone", "page", "printed", "default"), PRINTED)
def test_a_replica_prints_local_times_in_the_accounts_zone(
    monkeypatch: pytest.MonkeyPatch, platform: str, trait: str | None, zone: str, page: str, printed: str, default: str
) -> None:
    pin_randomness(monkeypatch)
    site = build_sites()[platform]
    if trait:
        site.pin(trait)
    thread = _message(site, timedelta(hours=2))
    before = site.inbox() if page == "inbox" else site.thread_page(thread)
    site.state.set_time_zone(site.account, zone)
    after = site.inbox() if page == "inbox" else site.thread_page(thread)
    assert default in before
    assert printed in after
    assert default not in after
    # And what it prints, the platform's table reads back in that zone; in its own zone only
    # a value that names its zone ("PDT", "GMT") is still right.
    assert TABLES[platform].parse(printed, now=NOW, zone=ZoneInfo(zone)).covers(NOW - timedelta(hours=2))
    if printed.endswith(("PDT", "GMT")):
        assert TABLES[platform].parse(printed, now=NOW).covers(NOW - timedelta(hours=2))
        return
    try:
        misread = TABLES[platform].parse(printed, now=NOW)
    except DateFormatError:  # Read in the site's own zone, it may even lie in the future.
        return
    assert not misread.covers(NOW - timedelta(hours=2))


def test_the_state_refuses_a_zone_nobody_knows() -> None:
    site = build_sites()["roomies"]
    with pytest.raises(SandboxError, match="not a known time zone"):
        site.state.set_time_zone(site.account, "Atlantis/Capital")
    with pytest.raises(SandboxError, match="not a known time zone"):
        site.state.create_account("roomies", "x@example.com", time_zone="UTC+3")
    assert site.account.time_zone == ""


#: The redesigned layout prints in the account's zone too (its thread and inbox dates).
REDESIGN_PRINTED = [
    # (platform, zone, page, message age, what the page prints, what the site's own zone would print)
    ("furnishedfinder", "America/Los_Angeles", "thread", timedelta(hours=2), ">9:00AM<", ">11:00AM<"),
    # 02:00 UTC on the 11th: the 10th in New York (two days back), "Yesterday" in London.
    ("renthop", "Europe/London", "inbox", timedelta(hours=40), ">Yesterday<", ">Mar 10<"),
]


@pytest.mark.parametrize(("platform", "zone", "page", "age", "printed", "default"), REDESIGN_PRINTED)
def test_the_redesign_prints_local_times_in_the_accounts_zone(
    monkeypatch: pytest.MonkeyPatch, platform: str, zone: str, page: str, age: timedelta, printed: str, default: str
) -> None:
    pin_randomness(monkeypatch)
    site = build_sites()[platform]
    site.pin("layout", variant="redesign")
    site.pin("date_formats")
    thread = _message(site, age)
    before = site.inbox() if page == "inbox" else site.thread_page(thread)
    site.state.set_time_zone(site.account, zone)
    after = site.inbox() if page == "inbox" else site.thread_page(thread)
    assert default in before
    assert printed in after
    assert default not in after
