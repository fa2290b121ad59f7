"""Page behaviour of the real sites, met by the connectors in real Chromium: threads that load in
parts, sessions that die midway, slow and partial lists. Nothing is lost, nothing is sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platforms.connectors.errors import OutcomeUnknown, Transient
from platforms.textmatch import Verdict

pytestmark = pytest.mark.browser

#: Each replica's own way of paging a thread (its realistic profile's style).
PAGING_STYLES = {
    "spareroom": "page_link",
    "roomies": "button",
    "leasebreak": "button",
    "renthop": "scroll",
    "furnishedfinder": "scroll",
}


def _long_thread(acct, *, messages: int, start: datetime) -> tuple[str, list[str]]:
    """Seed a thread of ``messages`` alternating renter and agent messages, a minute apart; return its id and refs."""
    first = acct.seed(renter_name="Noor", body="Message 0 from Noor", sent_at=start)
    thread_id = str(first["thread_id"])
    refs = [str(first["message_id"])]
    for n in range(1, messages):
        when = start + timedelta(minutes=n)
        if n % 2:
            made = acct.client.add_outbound(
                acct.platform, acct.username, thread_id=thread_id, body=f"Answer {n} from us", sent_at=when
            )
        else:
            made = acct.seed(renter_name="Noor", body=f"Message {n} from Noor", thread_id=thread_id, sent_at=when)
        refs.append(str(made["message_id"]))
    return thread_id, refs


# One platform per style here; the contract tests read and send on every platform with paging pinned.
@pytest.mark.parametrize("platform", ["spareroom", "leasebreak", "renthop"])
def test_paged_thread_is_read_whole_and_a_reply_hidden_behind_the_control_is_found(platform, make_account):
    # given: a thread of 7 messages on a replica that shows the latest 3 (its own paging style)
    acct = make_account(platform)
    acct.client.pin_trait(platform, acct.username, "thread_paging", latest=3, style=PAGING_STYLES[platform])
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=3)
    thread_id, refs = _long_thread(acct, messages=7, start=start)

    # when: ingest reads it from scratch
    messages = acct.connector.fetch_new_messages(None)

    # then: every message, the hidden ones too
    assert [m.message_ref for m in messages] == refs

    # when: we reply (the outbound count before the click covers the whole thread), then four
    # renter messages push the reply behind the control
    counts: list[int] = []
    body = "Happy to show it on Saturday."
    receipt = acct.connector.send_message(thread_id, body, before_click=counts.append)
    assert counts == [3]
    for n in range(4):
        acct.seed(renter_name="Noor", body=f"Follow-up {n}", thread_id=thread_id)

    # then: sent once, and the read-back finds it although it is no longer on the first screen
    assert len(acct.sent()) == 1
    read = acct.new_connector().find_sent(thread_id, body, receipt.sent_at - timedelta(minutes=1), outbound_before=3)
    assert read.check.verdict is Verdict.CONFIRMED, read.check
    assert read.receipt is not None
    assert read.receipt.message_ref == receipt.message_ref


@pytest.mark.parametrize("platform", ["spareroom", "roomies"])
def test_incremental_ingest_stops_at_the_cursor_and_loses_nothing_newer(platform, make_account):
    # given: a long thread, shown 2 at a time
    acct = make_account(platform)
    acct.client.pin_trait(platform, acct.username, "thread_paging", latest=2, style=PAGING_STYLES[platform])
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=3)
    _thread_id, refs = _long_thread(acct, messages=12, start=start)
    acct.connector.login()
    full_requests = acct.stats()["requests"]
    acct.connector.fetch_new_messages(None)
    full_requests = acct.stats()["requests"] - full_requests

    # when: the cursor is at the ninth message
    before = acct.stats()["requests"]
    messages = acct.connector.fetch_new_messages(start + timedelta(minutes=8))

    # then: the three newer messages, read with fewer requests than the whole thread took
    assert [m.message_ref for m in messages] == refs[9:]
    assert acct.stats()["requests"] - before < full_requests


@pytest.mark.parametrize("platform", ["spareroom", "furnishedfinder"])
def test_session_dropped_midway_through_ingest_is_logged_in_again_and_nothing_is_lost(platform, make_account):
    # given: six threads (two inbox pages) of two messages each, paged one message at a
    # time (fourteen requests to read), and sessions that die every eight requests
    acct = make_account(platform)
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=2)
    expected = []
    for n in range(6):
        seeded = acct.seed(renter_name=f"Renter {n}", body=f"Hello {n}", sent_at=start + timedelta(minutes=2 * n))
        expected.append(str(seeded["message_id"]))
        more = acct.seed(
            renter_name=f"Renter {n}",
            body=f"Still there {n}?",
            thread_id=seeded["thread_id"],
            sent_at=start + timedelta(minutes=2 * n + 1),
        )
        expected.append(str(more["message_id"]))
    acct.client.pin_trait(platform, acct.username, "thread_paging", latest=1, style=PAGING_STYLES[platform])
    acct.connector.login()
    logins = acct.stats()["logins"]
    acct.client.pin_trait(platform, acct.username, "session_lifetime", requests=8)

    # when
    messages = acct.connector.fetch_new_messages(None)

    # then: every message once, after logging in again along the way
    assert sorted(m.message_ref for m in messages) == sorted(expected)
    assert acct.stats()["logins"] > logins


def _use_session(acct, requests: int) -> None:
    """Make ``requests`` more page requests with the connector's current session."""
    for _ in range(requests):
        acct.connector.goto(acct.connector.url("inbox", page=1))


@pytest.mark.parametrize("platform", ["roomies", "renthop"])
def test_session_dropped_while_loading_earlier_messages_is_resumed(platform, make_account):
    # given: a thread of 9 shown 2 at a time, its older parts fetched by the page's script, and
    # sessions that live 8 requests, the current one with 4 used (the login's own page, 3 more):
    # it dies at the third fetch of an older part (HTTP 401 and the site's pop-up)
    acct = make_account(platform)
    acct.client.pin_trait(platform, acct.username, "thread_paging", latest=2, style=PAGING_STYLES[platform])
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    _thread_id, refs = _long_thread(acct, messages=9, start=start)
    acct.connector.login()
    _use_session(acct, 3)
    acct.client.pin_trait(platform, acct.username, "session_lifetime", requests=8)
    logins = acct.stats()["logins"]

    # when
    messages = acct.connector.fetch_new_messages(None)

    # then: every message, after one login along the way
    assert [m.message_ref for m in messages] == refs
    assert acct.stats()["logins"] == logins + 1


@pytest.mark.parametrize("platform", ["spareroom", "roomies"])
def test_session_dropped_while_preparing_a_send_is_resumed_and_the_reply_goes_out_once(platform, make_account):
    # given: a thread of 7 shown 2 at a time (4 requests to read it whole) and sessions that
    # live 12 requests, the current one with 9 used: it dies while the send is being prepared
    acct = make_account(platform)
    acct.client.pin_trait(platform, acct.username, "thread_paging", latest=2, style=PAGING_STYLES[platform])
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    thread_id, _refs = _long_thread(acct, messages=7, start=start)
    acct.connector.login()
    _use_session(acct, 8)
    acct.client.pin_trait(platform, acct.username, "session_lifetime", requests=12)
    logins = acct.stats()["logins"]

    # when
    receipt = acct.connector.send_message(thread_id, "Yes, Saturday at 10 works.")

    # then: one reply on the platform, confirmed, after logging in again once, before the click
    assert [s["body"] for s in acct.sent()] == ["Yes, Saturday at 10 works."]
    assert receipt.message_ref == str(acct.sent()[0]["message_id"])
    assert acct.stats()["logins"] == logins + 1


def test_session_dropped_at_the_click_is_an_unknown_outcome_and_never_a_second_click(make_account):
    # given: a thread; the session dies right before the click (the form post finds no session)
    acct = make_account("leasebreak")
    seeded = acct.seed(renter_name="Ari", body="Is it free?")
    acct.connector.login()

    def expire_now(_count: int) -> None:
        acct.fault("session_expired")

    # when
    with pytest.raises(OutcomeUnknown):
        acct.connector.send_message(str(seeded["thread_id"]), "It is, come and see it.", before_click=expire_now)

    # then: the click was not repeated after logging in; a read-back (which may log in) says absent
    assert acct.sent() == []
    read = acct.new_connector().find_sent(
        str(seeded["thread_id"]),
        "It is, come and see it.",
        datetime.now(tz=UTC) - timedelta(minutes=1),
        outbound_before=0,
    )
    assert read.check.verdict is Verdict.ABSENT
    assert acct.sent() == []


@pytest.mark.parametrize("platform", ["roomies", "furnishedfinder"])
def test_list_filled_after_load_is_waited_for_and_read_whole(platform, make_account):
    # given: slow responses, and a thread page whose list holds one message at DOMContentLoaded
    acct = make_account(platform)
    acct.client.pin_trait(platform, acct.username, "slow_responses", max_ms=80)
    acct.client.pin_trait(platform, acct.username, "deferred_list", shown=1, ms=700)
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    thread_id, refs = _long_thread(acct, messages=5, start=start)
    acct.connector.login()

    # when: a reader that does not wait would see one message
    acct.connector.goto(acct.connector.url("thread", thread_ref=thread_id))
    assert len(acct.connector.extract("thread.messages").rows) == 1
    messages = acct.connector.fetch_new_messages(None)

    # then: the connector waited for the list
    assert [m.message_ref for m in messages] == refs


def test_list_that_never_completes_is_a_transient_error_not_a_partial_read(make_account, settings):
    # given: a list whose script never finishes
    acct = make_account("furnishedfinder")
    acct.client.pin_trait("furnishedfinder", acct.username, "deferred_list", shown=1, ms=600_000)
    acct.seed(renter_name="Kim", body="First")
    settings.LEASEBOT_LIST_WAIT_S = 1

    # when / then
    with pytest.raises(Transient) as caught:
        acct.connector.fetch_new_messages(None)
    assert caught.value.extra["reason"] == "list_incomplete"


def test_session_dropped_right_after_the_click_is_unknown_and_the_read_back_confirms_the_one_reply(make_account):
    # given: a logged-in session (one request used) that lives three requests: the thread page,
    # then the form post; the page after the post finds the session gone
    acct = make_account("spareroom")
    seeded = acct.seed(renter_name="Ari", body="Is it free?")
    acct.connector.login()
    acct.client.pin_trait("spareroom", acct.username, "session_lifetime", requests=3)
    body = "It is, come and see it on Sunday."
    started = datetime.now(tz=UTC) - timedelta(minutes=1)

    # when: the reply is posted, and the page after the click is the login page
    with pytest.raises(OutcomeUnknown):
        acct.connector.send_message(str(seeded["thread_id"]), body)

    # then: the platform has the reply once; the read-back logs in and confirms it, no second click
    assert [s["body"] for s in acct.sent()] == [body]
    read = acct.new_connector().find_sent(str(seeded["thread_id"]), body, started, outbound_before=0)
    assert read.check.verdict is Verdict.CONFIRMED, read.check
    assert len(acct.sent()) == 1
