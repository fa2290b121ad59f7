"""In real Chromium against the replicas: a streaming read opens only the threads whose inbox row changed.

The connector hands each thread over as it reads it, with the signature of its inbox row
(``ThreadRead.signature``); given those signatures back (``seen``), it does not open a thread
whose row still shows the same, and it stops paging once a page ends below the cursor. A
thread with a new message is opened whatever the page looks like (relative dates, "Today",
the redesigned layout, the whole realistic profile): a row that cannot tell a new message
apart gets no signature and is opened every time, and so does a row whose shown activity is
more recent than the platform's visibility window (a message the site shows late may hide in it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from platforms.connectors.base import FetchStats, ThreadRead
from platforms.connectors.web.read import ThreadRow, row_signature, settle_margin
from tests.platforms.conftest import PLATFORMS
from tests.platforms.connectors.test_contract import FULL, SETUPS, SHORT, _pin

pytestmark = pytest.mark.browser

#: The setups whose pages change what an inbox row shows (dates, layout), and all of it together.
ROW_SETUPS = [s for s in SETUPS if s.name in {"plain", "date_formats", "layout-redesign", "realistic"}]
#: As the contract matrix: ``make test`` runs the ends (plain, realistic) on every site and each
#: setup in between on one site, in turn; ``make chaos`` (``FULL``) every setup on every site.
VARIANTS = [
    pytest.param(platform, setup, id=f"{platform}-{setup.name}")
    for platform in PLATFORMS
    for setup in ROW_SETUPS
    if setup.applies_to(platform) and (FULL or SHORT.get(setup.name, platform) == platform)
]
#: Plain pages whose rows tell every new message apart (the last message's id, or an exact time):
#: an unchanged thread there is never opened again. Roomies shows "2 hours ago" only.
SIGNED_WHEN_PLAIN = {"spareroom", "leasebreak", "renthop", "furnishedfinder"}


class Reads:
    """What one fetch handed over, thread by thread."""

    def __init__(self) -> None:
        self.threads: list[ThreadRead] = []

    def __call__(self, read: ThreadRead) -> None:
        self.threads.append(read)

    @property
    def refs(self) -> set[str]:
        return {m.message_ref for read in self.threads for m in read.messages}

    def signatures(self) -> dict[str, str]:
        return {read.thread_ref: read.signature for read in self.threads if read.signature}


def _fetch(acct: Any, since: datetime | None, seen: dict[str, str]) -> tuple[Reads, FetchStats]:
    reads = Reads()
    stats = acct.connector.fetch_threads(since, on_thread=reads, seen=seen)
    return reads, stats


@pytest.mark.parametrize(("platform", "setup"), VARIANTS)
def test_only_threads_whose_row_changed_are_opened_and_none_with_a_new_message_is_skipped(
    platform: str, setup: Any, make_account: Any
) -> None:
    # given: four threads, their last messages two hours old, one with an agent's reply; all read once
    acct = make_account(platform)
    _pin(acct, setup)
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=2)
    seeded = [
        acct.seed(renter_name=f"Renter {i}", body=f"Is room {i} free?", sent_at=start + timedelta(minutes=i))
        for i in range(4)
    ]
    acct.client.add_outbound(
        platform, acct.username, thread_id=seeded[1]["thread_id"], body="Yes.", sent_at=start + timedelta(minutes=5)
    )
    first, stats = _fetch(acct, None, {})
    assert len(first.threads) == stats.opened == stats.listed == 4
    assert len(first.refs) == 5
    seen = first.signatures()

    # when: nothing changed, and the connector is given the signatures back
    second, stats = _fetch(acct, None, seen)

    # then: a thread is skipped only on a signature kept for it (relative times resolve anew each
    # read, so those rarely match); where the plain rows tell every message apart, none is opened
    assert stats.unchanged <= len(seen)
    assert stats.opened + stats.unchanged == 4
    assert stats.opened == len(second.threads)
    if setup.name == "plain" and platform in SIGNED_WHEN_PLAIN:
        assert stats.opened == 0
    seen.update(second.signatures())

    # when: a renter writes again in an old thread (the same words as before), and a new renter writes
    again = acct.seed(renter_name="Renter 2", thread_id=seeded[2]["thread_id"], body="Is room 2 free?")
    fresh = acct.seed(renter_name="Renter 9", body="Hello!")
    third, stats = _fetch(acct, None, seen)

    # then: both are read, whatever the rows showed
    assert {str(again["message_id"]), str(fresh["message_id"])} <= third.refs
    opened = {read.thread_ref for read in third.threads}
    assert {str(again["thread_id"]), str(fresh["thread_id"])} <= opened
    if setup.name == "plain" and platform in SIGNED_WHEN_PLAIN:
        assert opened == {str(again["thread_id"]), str(fresh["thread_id"])}
    assert acct.stats()["logins"] == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_paging_stops_once_a_page_ends_below_the_cursor(platform: str, make_account: Any) -> None:
    # given: five threads (two inbox pages of three): four from yesterday, one from a minute ago
    acct = make_account(platform)
    old = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(days=1)
    for i in range(4):
        acct.seed(renter_name=f"Renter {i}", body=f"Is room {i} free?", sent_at=old + timedelta(minutes=i))
    new = acct.seed(renter_name="Renter 9", body="Hello!", sent_at=datetime.now(tz=UTC) - timedelta(minutes=1))
    everything, stats = _fetch(acct, None, {})
    assert stats.pages == 2
    assert len(everything.threads) == 5

    # when: read from a cursor an hour back
    recent, stats = _fetch(acct, datetime.now(tz=UTC) - timedelta(hours=1), {})

    # then: the new message, from the first page only (its last row is a day old)
    assert recent.refs == {str(new["message_id"])}
    assert stats.pages == 1


@pytest.mark.parametrize(("platform", "setup"), VARIANTS)
def test_a_message_the_site_shows_late_inside_the_rows_shown_time_is_read(
    platform: str, setup: Any, make_account: Any
) -> None:
    # given: a renter's message stamped in the minute just ended, read once: the row shows that
    # time (to the minute or the second) and that renter
    acct = make_account(platform)
    _pin(acct, setup)
    minute = datetime.now(tz=UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    shown = acct.seed(renter_name="Renter 1", body="Is the room free?", sent_at=minute + timedelta(seconds=5))
    first, _ = _fetch(acct, None, {})
    assert str(shown["message_id"]) in first.refs
    seen = first.signatures()

    # when: a second message of the renter's, stamped in the same second, shows only after that
    # read (the site's replicas show a message late: it was seeded after the read)
    late = acct.seed(
        renter_name="Renter 1",
        thread_id=shown["thread_id"],
        body="And is parking included?",
        sent_at=minute + timedelta(seconds=5),
    )
    second, stats = _fetch(acct, None, seen)

    # then: the row, unchanged to the eye, was not trusted so soon after its time: the thread is read
    assert stats.unchanged == 0
    assert str(late["message_id"]) in second.refs


def test_a_rows_time_and_sender_are_trusted_only_once_the_visibility_window_has_passed(settings: Any) -> None:
    # given: a platform that shows messages up to 60 s late, and a row showing 3:45 PM (at its latest 3:45:59)
    settings.LEASEBOT_SEND_VISIBILITY_S = 60
    settings.LEASEBOT_SEND_VISIBILITY_S_PER_PLATFORM = {}
    shown = datetime(2026, 12, 1, 15, 45, 59, 999999, tzinfo=UTC)
    row = ThreadRow(thread_ref="t1", last_activity=shown, sender_name="Renter 1")
    settle = settle_margin("renthop")
    assert settle >= timedelta(seconds=60)

    # when / then: read at 3:46:02, a message stamped 3:45:40 may still appear: no signature
    assert row_signature(row, {}, read_at=shown + timedelta(seconds=3), settle=settle) == ""
    assert row_signature(row, {}, read_at=shown + settle - timedelta(microseconds=1), settle=settle) == ""
    # read once the window has passed, any message stamped in that minute already shows
    assert row_signature(row, {}, read_at=shown + settle, settle=settle) != ""
    # the last message's id (SpareRoom) too: a site may list a thread by a message older than one
    # already in the thread, so an id is trusted only once the window has passed as well
    assert row_signature(row, {"message_ref": "m9"}, read_at=shown + timedelta(seconds=3), settle=settle) == ""
    by_id = row_signature(row, {"message_ref": "m9"}, read_at=shown + settle, settle=settle)
    assert by_id != ""
    assert by_id != row_signature(row, {"message_ref": "m10"}, read_at=shown + settle, settle=settle)
