"""The anti-bot guard on real Redis: page signals, token bucket, pacing, retries, circuit breaker."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from platforms import guard as guard_module
from platforms.connectors.errors import (
    AuthFailed,
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
from platforms.guard import Guard, circuit_state, detect_block, parse_retry_after, reset_circuit

pytestmark = pytest.mark.usefixtures("fast_guard_settings")

ACCOUNT = 424242


class Sleeps:
    """Records sleeps instead of sleeping (and can advance nothing: Redis keeps real time)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_guard(**options):
    guard_module.reset_account(ACCOUNT)
    return Guard(account_id=ACCOUNT, platform="spareroom", **options)


# --- page signals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "title", "status", "expected"),
    [
        ("<script>window._cf_chl_opt={cType:'managed'}</script>", "Just a moment...", 403, CaptchaRequired),
        (
            "<div id='px-captcha'></div><p>Press &amp; Hold to confirm</p>",
            "Access to this page has been denied",
            403,
            CaptchaRequired,
        ),
        ("<script>var dd={'host':'geo.captcha-delivery.com'}</script>", "site", 403, CaptchaRequired),
        (
            "<iframe src='https://challenges.cloudflare.com/cdn-cgi/challenge-platform/x'></iframe>",
            "",
            200,
            CaptchaRequired,
        ),
        ("<p>Security check</p>", "Security Check", 200, CaptchaRequired),
        ("Request unsuccessful. Incapsula incident ID: 123-456", "", 200, Blocked),
        ("<h1>Sorry, you have been blocked</h1>", "Attention Required! | Cloudflare", 403, Blocked),
        ("<title>Access Denied</title>You don't have permission to access", "Access Denied", 200, Blocked),
        ("<p>nothing special</p>", "Forbidden", 403, Blocked),
        ("<p>oops</p>", "Server error", 502, Transient),
    ],
)
def test_detect_block_recognises_vendor_pages(html, title, status, expected):
    assert isinstance(
        detect_block(status=status, headers={}, title=title, html=html, url="https://x/y?token=1"), expected
    )


def test_detect_block_ignores_a_login_form_that_merely_loads_a_captcha_script():
    html = (
        "<form><input name='email'></form>"
        "<script src='https://www.google.com/recaptcha/api.js'></script>"
        "<script src='https://challenges.cloudflare.com/turnstile/v0/api.js'></script>"
    )
    assert detect_block(status=200, headers={}, title="Log in", html=html) is None


def test_detect_block_reads_retry_after_and_keeps_query_strings_out_of_errors():
    error = detect_block(
        status=429, headers={"retry-after": "17"}, title="", html="", url="https://x/inbox?email=a@b.c"
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after == 17
    assert error.extra["url"] == "https://x/inbox"


def test_parse_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = datetime.now(tz=UTC) + timedelta(seconds=60)
    assert 55 <= parse_retry_after(format_datetime(later, usegmt=True)) <= 61


# --- token bucket and pacing ------------------------------------------------------------


def test_token_bucket_holds_under_a_concurrent_burst_from_many_guards():
    # given: eight "processes" (separate guards, separate threads) on one account
    guard_module.reset_account(ACCOUNT)
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        g = Guard(account_id=ACCOUNT, rate_per_minute=600, burst=3, max_wait_s=10)
        for _ in range(2):
            g.acquire()
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then: 16 tokens at 10/s with a burst of 3 take at least 1.3 s, and no window exceeds the bucket
    granted.sort()
    assert len(granted) == 16
    assert granted[-1] - started >= 1.2
    for i in range(len(granted)):
        for j in range(i, len(granted)):
            assert j - i + 1 <= 3 + 10 * (granted[j] - granted[i]) + 0.5


def test_token_bucket_refuses_to_wait_longer_than_max_wait():
    g = make_guard(rate_per_minute=1, burst=1, max_wait_s=0.5)
    g.acquire()
    with pytest.raises(RateLimited) as caught:
        g.acquire()
    assert caught.value.retry_after > 50
    assert caught.value.extra["source"] == "bucket"


def test_pacing_sleeps_a_jittered_time_between_the_bounds_and_not_at_all_when_zero():
    sleeps = Sleeps()
    g = make_guard(pacing=(0.2, 0.6), sleep=sleeps)
    for _ in range(20):
        g.before_action(request=False)
    assert all(0.2 <= s <= 0.6 for s in sleeps.calls)
    assert len(set(sleeps.calls)) > 1

    quiet = Sleeps()
    g = make_guard(pacing=(0, 0), sleep=quiet)
    g.before_action()
    assert quiet.calls == []


def test_after_a_429_every_guard_waits_out_retry_after_and_paces_slower():
    sleeps = Sleeps()
    first = make_guard(pacing=(0.1, 0.1), sleep=sleeps)
    first.note_rate_limited(3)

    other = Guard(account_id=ACCOUNT, pacing=(0.1, 0.1), sleep=sleeps)
    other.before_action()

    assert 2.5 <= sleeps.calls[0] <= 3.0  # The platform's delay, honoured by another process.
    assert sleeps.calls[1] == pytest.approx(0.2)  # Pacing doubled for a while.


# --- run(): retries, refresh ------------------------------------------------------------


def test_run_retries_transient_failures_up_to_the_cap_then_raises():
    sleeps = Sleeps()
    g = make_guard(max_retries=2, sleep=sleeps)
    calls = []

    def op():
        calls.append(1)
        raise Transient("timeout")

    with pytest.raises(Transient):
        g.run(op)
    assert len(calls) == 3
    assert len(sleeps.calls) == 2
    assert sleeps.calls[1] > sleeps.calls[0] / 2


def test_run_refreshes_the_session_once_then_carries_on():
    g = make_guard()
    attempts = []
    refreshed = []

    def op():
        attempts.append(1)
        if len(attempts) == 1:
            raise SessionExpired("bounced to login")
        return "ok"

    assert g.run(op, refresh=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1]


def test_run_refreshes_only_once_when_the_session_keeps_expiring():
    g = make_guard()
    refreshed = []

    def op():
        raise SessionExpired("bounced to login")

    with pytest.raises(SessionExpired):
        g.run(op, refresh=lambda: refreshed.append(1))
    assert refreshed == [1]


def test_run_waits_out_a_short_429_and_retries():
    sleeps = Sleeps()
    g = make_guard(sleep=sleeps, max_wait_s=10)
    attempts = []

    def op():
        g.before_action()
        attempts.append(1)
        if len(attempts) == 1:
            raise RateLimited("429", retry_after=2)
        return "ok"

    assert g.run(op) == "ok"
    assert any(1.5 <= s <= 2.0 for s in sleeps.calls)


def test_run_raises_a_long_429_at_once():
    g = make_guard(max_wait_s=10)

    def op():
        raise RateLimited("429", retry_after=600)

    with pytest.raises(RateLimited):
        g.run(op)
    with pytest.raises(RateLimited) as caught:
        g.before_action()
    assert caught.value.extra["source"] == "backoff"


# --- circuit breaker --------------------------------------------------------------------


def test_circuit_opens_after_consecutive_failures_and_a_success_resets_the_count(settings):
    settings.LEASEBOT_CIRCUIT_FAILURES = 3
    g = make_guard()
    g.record_failure(SelectorDrift("x"))
    g.record_failure(Transient("x"))
    g.record_success()
    g.record_failure(Transient("x"))
    g.record_failure(Transient("x"))
    assert circuit_state(ACCOUNT) == "closed"
    assert g.record_failure(AuthFailed("x"))
    assert circuit_state(ACCOUNT) == "open"


@pytest.mark.parametrize("error", [CaptchaRequired("c"), Blocked("b")])
def test_captcha_or_block_opens_the_circuit_at_once(error):
    g = make_guard()
    assert g.record_failure(error)
    with pytest.raises(CircuitOpen) as caught:
        g.before_action()
    assert caught.value.extra["reason"] == type(error).__name__
    assert caught.value.retry_after > 800


@pytest.mark.parametrize("error", [OutcomeUnknown("u"), Permanent("p"), CircuitOpen("o")])
def test_job_level_errors_do_not_count_against_the_circuit(error):
    g = make_guard(circuit_failures=1)
    assert not g.record_failure(error)
    assert circuit_state(ACCOUNT) == "closed"


def test_half_open_lets_exactly_one_probe_through_and_its_failure_reopens(settings):
    g = make_guard()
    g.record_failure(Blocked("b"))
    settings.LEASEBOT_CIRCUIT_COOLDOWN_S = 0
    assert circuit_state(ACCOUNT) == "half_open"

    probe = Guard(account_id=ACCOUNT)
    probe.check_circuit()  # Claims the probe.
    with pytest.raises(CircuitOpen, match="another process is probing"):
        Guard(account_id=ACCOUNT).check_circuit()

    probe.record_failure(Transient("still down"))
    settings.LEASEBOT_CIRCUIT_COOLDOWN_S = 900
    assert circuit_state(ACCOUNT) == "open"


def test_half_open_probe_success_closes_the_circuit(settings):
    g = make_guard()
    g.record_failure(CaptchaRequired("c"))
    settings.LEASEBOT_CIRCUIT_COOLDOWN_S = 0

    assert Guard(account_id=ACCOUNT).run(lambda: "fine") == "fine"
    settings.LEASEBOT_CIRCUIT_COOLDOWN_S = 900
    assert circuit_state(ACCOUNT) == "closed"


def test_a_success_elsewhere_does_not_close_an_open_circuit():
    g = make_guard()
    g.record_failure(Blocked("b"))
    Guard(account_id=ACCOUNT).record_success()
    assert circuit_state(ACCOUNT) == "open"


def test_reset_circuit_closes_it():
    g = make_guard()
    g.record_failure(Blocked("b"))
    reset_circuit(ACCOUNT)
    assert circuit_state(ACCOUNT) == "closed"
    g.before_action()
