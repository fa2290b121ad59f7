"""Every sandbox fault, met by a real connector in real Chromium."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from platforms import guard as guard_module
from platforms.connectors.errors import (
    Blocked,
    CaptchaRequired,
    CircuitOpen,
    OutcomeUnknown,
    Permanent,
    RateLimited,
    SelectorDrift,
    SessionExpired,
    Transient,
)
from tests.platforms.conftest import PLATFORMS
from tests.support import eventually

pytestmark = pytest.mark.browser


def _logged_in_with_one_thread(make_account, platform, **guard_options):
    acct = make_account(platform, **guard_options)
    seeded = acct.seed(renter_name="Ari", body="Is it free?", listing_ref="42")
    acct.connector.login()
    return acct, seeded


@pytest.mark.parametrize(
    ("platform", "kind", "error"),
    [(p, "captcha", CaptchaRequired) for p in PLATFORMS] + [(p, "block", Blocked) for p in PLATFORMS],
)
def test_bot_wall_opens_the_circuit_and_stops_all_further_requests(platform, kind, error, make_account):
    # given: a logged-in account, then the platform puts up a captcha or block page
    acct, _ = _logged_in_with_one_thread(make_account, platform)
    acct.fault(kind)

    # when
    with pytest.raises(error) as caught:
        acct.connector.fetch_new_messages(None)

    # then: the circuit is open for every process, and the next run sends no request at all
    assert caught.value.opens_circuit
    assert guard_module.circuit_state(acct.config.account_id) == "open"
    requests = acct.stats()["requests"]
    with pytest.raises(CircuitOpen):
        acct.connector.fetch_new_messages(None)
    with pytest.raises(CircuitOpen):
        acct.new_connector().send_message("1", "hello")
    assert acct.stats()["requests"] == requests
    assert acct.sent() == []


def test_circuit_half_opens_after_cooldown_and_a_good_probe_closes_it(make_account, settings):
    acct, _ = _logged_in_with_one_thread(make_account, "leasebreak")
    acct.fault("captcha", count=1)
    with pytest.raises(CaptchaRequired):
        acct.connector.fetch_new_messages(None)
    assert guard_module.circuit_state(acct.config.account_id) == "open"

    # when: the cooldown has passed
    settings.LEASEBOT_CIRCUIT_COOLDOWN_S = 0
    assert guard_module.circuit_state(acct.config.account_id) == "half_open"
    messages = acct.connector.fetch_new_messages(None)

    # then: the probe succeeded and closed the circuit
    assert [m.body for m in messages] == ["Is it free?"]
    assert guard_module.circuit_state(acct.config.account_id) == "closed"


def test_429_is_waited_out_for_its_retry_after_and_the_read_carries_on(make_account):
    acct, seeded = _logged_in_with_one_thread(make_account, "spareroom")
    acct.fault("rate_limit", retry_after=2, count=1)
    before = len(acct.client.request_log("spareroom", acct.username))

    started = time.monotonic()
    messages = acct.connector.fetch_new_messages(None)
    elapsed = time.monotonic() - started

    assert [m.message_ref for m in messages] == [str(seeded["message_id"])]
    assert elapsed >= 2.0
    log = acct.client.request_log("spareroom", acct.username)[before:]
    limited_at, retried_at = datetime.fromisoformat(log[0]["at"]), datetime.fromisoformat(log[1]["at"])
    assert (retried_at - limited_at).total_seconds() >= 1.9


def test_429_with_a_long_retry_after_is_raised_with_the_platforms_delay_and_no_more_requests(make_account):
    acct, _ = _logged_in_with_one_thread(make_account, "renthop")
    acct.fault("rate_limit", retry_after=120, count=None)

    with pytest.raises(RateLimited) as caught:
        acct.connector.fetch_new_messages(None)
    requests = acct.stats()["requests"]

    assert caught.value.retry_after == 120
    # Every process now waits out the platform's delay instead of asking again.
    with pytest.raises(RateLimited) as again:
        acct.new_connector().fetch_new_messages(None)
    assert again.value.retry_after > 100
    assert acct.stats()["requests"] == requests


@pytest.mark.parametrize("platform", ["spareroom", "furnishedfinder"])
def test_session_expiry_refreshes_the_session_once_and_carries_on(platform, make_account):
    acct, seeded = _logged_in_with_one_thread(make_account, platform)
    assert acct.stats()["logins"] == 1
    acct.fault("session_expired")

    messages = acct.connector.fetch_new_messages(None)

    assert [m.message_ref for m in messages] == [str(seeded["message_id"])]
    assert acct.stats()["logins"] == 2


def test_session_that_keeps_expiring_is_refreshed_only_once(make_account):
    acct, _ = _logged_in_with_one_thread(make_account, "roomies")
    acct.fault("session_expired", count=None)

    with pytest.raises(SessionExpired):
        acct.connector.fetch_new_messages(None)

    assert acct.stats()["logins"] == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_changed_dom_is_selector_drift_never_an_empty_inbox(platform, make_account):
    acct, seeded = _logged_in_with_one_thread(make_account, platform)
    acct.fault("drift")

    with pytest.raises(SelectorDrift) as caught:
        acct.connector.fetch_new_messages(None)
    assert caught.value.extra["locator"] == "inbox.rows"

    # The thread page drifted too: read-back says so rather than "not sent".
    with pytest.raises(SelectorDrift):
        acct.connector.find_sent(str(seeded["thread_id"]), "anything", datetime.now(tz=UTC))


def test_drift_leaves_a_screenshot_and_html_without_secrets(make_account, browser_state_dir: Path):
    acct, _ = _logged_in_with_one_thread(make_account, "leasebreak")
    acct.fault("drift")
    with pytest.raises(SelectorDrift):
        acct.connector.fetch_new_messages(None)

    saved = sorted((browser_state_dir / "failures").glob(f"*-leasebreak-{acct.config.account_id}-drift-*"))
    assert {p.suffix for p in saved} == {".html", ".png"}
    html = next(p for p in saved if p.suffix == ".html")
    assert oct(html.stat().st_mode & 0o777) == "0o600"
    text = html.read_text()
    assert acct.password not in text
    assert 'name="csrf-token" content="[redacted]"' in text


@pytest.mark.parametrize("platform", ["spareroom", "leasebreak", "furnishedfinder"])
def test_send_whose_confirmation_fails_is_unknown_and_find_sent_resolves_it_without_resending(platform, make_account):
    acct, seeded = _logged_in_with_one_thread(make_account, platform)
    started = datetime.now(tz=UTC)
    acct.fault("send_unknown")

    with pytest.raises(OutcomeUnknown):
        acct.connector.send_message(str(seeded["thread_id"]), "Yes, Tuesday at 6 works.")

    # The site did record it; reconciliation reads it back and never sends again.
    sent = acct.sent()
    assert len(sent) == 1
    receipt = acct.new_connector().find_sent(str(seeded["thread_id"]), "Yes, Tuesday at 6 works.", started).receipt
    assert receipt is not None
    assert receipt.message_ref == str(sent[0]["message_id"])
    assert len(acct.sent()) == 1
    assert guard_module.circuit_state(acct.config.account_id) == "closed"


def test_roomies_reply_not_visible_in_time_is_unknown_until_read_back(make_account, sandbox_config, settings):
    # The fault: the platform shows a reply only 6 s after it took it; the connector stops looking after
    # 0.5 s. The gap leaves the first read-back (which must not find it yet) room on a slow machine.
    sandbox_config(roomies_reply_delay_s=6.0)
    settings.LEASEBOT_SEND_CONFIRM_TIMEOUT_S = 0.5
    acct, seeded = _logged_in_with_one_thread(make_account, "roomies")
    started = datetime.now(tz=UTC)

    with pytest.raises(OutcomeUnknown):
        acct.connector.send_message(str(seeded["thread_id"]), "See you Tuesday")
    not_yet = acct.connector.find_sent(str(seeded["thread_id"]), "See you Tuesday", started, outbound_before=0)
    assert (not_yet.verdict.value, not_yet.receipt) == ("absent", None)

    # ... until the platform shows it, when the read-back finds it
    receipt = eventually(
        lambda: acct.connector.find_sent(str(seeded["thread_id"]), "See you Tuesday", started).receipt,
        "the read-back to find the reply once the platform shows it",
        interval=0.25,
    )
    assert receipt.message_ref == str(acct.sent()[0]["message_id"])
    assert len(acct.sent()) == 1


def test_send_the_platform_rejects_is_permanent_and_not_a_circuit_failure(make_account):
    acct, seeded = _logged_in_with_one_thread(make_account, "renthop")
    acct.client.close_thread("renthop", acct.username, seeded["thread_id"])

    with pytest.raises(Permanent):
        acct.connector.send_message(str(seeded["thread_id"]), "Hello?")

    assert guard_module.circuit_info(acct.config.account_id)["failures"] == 0


def test_slow_pages_within_the_timeout_are_read_and_beyond_it_are_transient(make_account, settings):
    # Far apart on purpose: a loaded machine adds its own slowness to the 0.3 s page, never to the timeout.
    settings.LEASEBOT_NAV_TIMEOUT_S = 4.0
    acct, seeded = _logged_in_with_one_thread(make_account, "spareroom", max_retries=0)

    acct.fault("slow", delay=0.3)
    assert [m.message_ref for m in acct.connector.fetch_new_messages(None)] == [str(seeded["message_id"])]

    acct.fault("slow", delay=6.0)
    with pytest.raises(Transient):
        acct.connector.fetch_new_messages(None)
    acct.client.clear_faults("spareroom", acct.username)


def test_rate_limit_holds_under_a_burst_of_requests(make_account):
    # given: a bucket of 2 that refills 3 tokens a second, and six threads to open
    acct = make_account("leasebreak", rate_per_minute=180, burst=2)
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    for i in range(6):
        acct.seed(renter_name=f"R{i}", body=f"hi {i}", sent_at=start + timedelta(minutes=i))

    # when: a login and a full read run as fast as they may
    assert len(acct.connector.fetch_new_messages(None)) == 6

    # then: in every window, the thread pages fetched stay within burst + rate * window
    # (each page is one navigation; redirects a navigation follows are not separate actions)
    log = acct.client.request_log("leasebreak", acct.username)
    times = [datetime.fromisoformat(r["at"]) for r in log if r["path"].startswith("/messages/")]
    assert len(times) == 6
    for i in range(len(times)):
        for j in range(i, len(times)):
            window = (times[j] - times[i]).total_seconds()
            assert j - i + 1 <= 2 + 3.0 * window + 0.1, f"{j - i + 1} pages in {window:.2f}s"
    assert (times[-1] - times[0]).total_seconds() >= (6 - 2) / 3.0 - 0.1
