"""The anti-bot guard: every browser action of a connector passes through here.

Per account, and shared by every process through Redis:

- a token bucket (atomic Lua, Redis's own clock) caps requests per minute with a burst;
- jittered pacing between actions (``LEASEBOT_PACING_MIN_S``..``MAX_S``; 0 turns it off);
- a platform's ``Retry-After`` is stored, so every process waits it out, and pacing slows
  down for a while after a 429;
- captcha and block pages are recognised by page signals (vendor markup, titles, HTTP
  401/403/429), not by the mere presence of a captcha script;
- :meth:`Guard.run` caps retries of transient failures and refreshes the session once on
  :class:`SessionExpired`;
- a circuit breaker (closed, open, half-open) opens at once on a captcha or block page
  and after ``LEASEBOT_CIRCUIT_FAILURES`` failures in a row; while open, no request leaves;
  after ``LEASEBOT_CIRCUIT_COOLDOWN_S`` it half-opens and lets exactly one probe through.

The guard never touches the database: the worker mirrors :func:`circuit_state` onto the
account's health (``platforms.services.account_set_circuit``).
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import redis
from django.conf import settings

from leasebot.core.redis import client as redis_client
from platforms.connectors.errors import (
    Blocked,
    CaptchaRequired,
    CircuitOpen,
    ConnectorError,
    HealingPending,
    OutcomeUnknown,
    Permanent,
    RateLimited,
    SessionExpired,
    Transient,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

KEY_PREFIX = "leasebot:guard"
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"  # The values of platforms.choices.CircuitState.

# --- page signals ---------------------------------------------------------------------

#: Challenge pages a person would have to solve. Script tags alone never count: many
#: login forms load a captcha library without ever showing a challenge.
CAPTCHA_SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cloudflare-challenge",
        re.compile(r"window\._cf_chl_opt|Cloudflare security challenge|<iframe[^>]+challenges\.cloudflare\.com", re.I),
    ),
    ("perimeterx", re.compile(r"id=['\"]px-captcha['\"]|Press\s*(?:&amp;|&)\s*Hold", re.I)),
    ("datadome", re.compile(r"geo\.captcha-delivery\.com|<iframe[^>]+captcha-delivery\.com", re.I)),
    (
        "recaptcha-challenge",
        re.compile(r"<iframe[^>]+(?:google\.com/recaptcha/api2/bframe|hcaptcha\.com/captcha)", re.I),
    ),
)
#: Titles of interstitial pages that only ever stand between a visitor and the site.
CHALLENGE_TITLES = re.compile(
    r"^\s*(just a moment|security check|verify you are human|are you a robot|access to this page has been denied|pardon our interruption)",
    re.I,
)
#: Pages that refuse the visitor outright.
BLOCK_SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("incapsula", re.compile(r"_Incapsula_Resource|Incapsula incident ID", re.I)),
    ("cloudflare-block", re.compile(r"Sorry, you have been blocked|<title>\s*Attention Required! \| Cloudflare", re.I)),
    ("akamai", re.compile(r"<title>\s*Access Denied\s*</title>|You don't have permission to access", re.I)),
    ("generic", re.compile(r"your (?:ip|access) has been (?:blocked|banned)|unusual traffic from your", re.I)),
)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return Retry-After in seconds (delta-seconds or an HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


def detect_block(
    *, status: int | None, headers: Mapping[str, str] | None, title: str, html: str, url: str = ""
) -> ConnectorError | None:
    """Return the error a page stands for (captcha, block, 429, 5xx), or ``None`` for a normal page."""
    where = {"status": status, "url": _safe_url(url)}
    if status == 429:
        retry_after = parse_retry_after((headers or {}).get("retry-after"))
        return RateLimited("the platform answered 429 Too Many Requests", retry_after=retry_after, **where)
    for name, pattern in CAPTCHA_SIGNALS:
        if pattern.search(html):
            return CaptchaRequired(f"captcha challenge page ({name})", signal=name, **where)
    if CHALLENGE_TITLES.search(title or ""):
        return CaptchaRequired("challenge interstitial page", signal="title", **where)
    for name, pattern in BLOCK_SIGNALS:
        if pattern.search(html):
            return Blocked(f"block page ({name})", signal=name, **where)
    if status in (401, 403):
        return Blocked(f"the platform answered HTTP {status}", signal=f"http-{status}", **where)
    if status is not None and status >= 500:
        return Transient(f"the platform answered HTTP {status}", **where)
    return None


def _safe_url(url: str) -> str:
    """Drop the query string: it may carry tokens or e-mail addresses."""
    return url.split("?", 1)[0]


# --- Redis ------------------------------------------------------------------------------


def _redis() -> redis.Redis:
    return redis_client(decode=True)


def _key(account_id: int, part: str) -> str:
    return f"{KEY_PREFIX}:{account_id}:{part}"


_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.6f', now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return string.format('%.6f', wait)
"""

_FAILURE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local stored = redis.call('HGET', KEYS[1], 'state')
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if ARGV[2] == '1' or failures >= tonumber(ARGV[1]) or stored == 'open' then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', string.format('%.6f', now), 'reason', ARGV[3])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
"""

_SUCCESS_LUA = """
local stored = redis.call('HGET', KEYS[1], 'state')
if stored == 'open' and ARGV[1] ~= '1' then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
"""


def _now(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return float(seconds) + float(micros) / 1_000_000


def circuit_info(account_id: int) -> dict[str, Any]:
    """Return the account's circuit: state, consecutive failures, when it opened, why, seconds to half-open."""
    client = _redis()
    raw = client.hgetall(_key(account_id, "circuit"))
    failures = int(raw.get("failures", 0))
    if raw.get("state") != OPEN:
        return {"state": CLOSED, "failures": failures, "opened_at": None, "reason": "", "retry_in": 0.0}
    opened_at = float(raw.get("opened_at", 0))
    remaining = opened_at + float(settings.LEASEBOT_CIRCUIT_COOLDOWN_S) - _now(client)
    return {
        "state": OPEN if remaining > 0 else HALF_OPEN,
        "failures": failures,
        "opened_at": opened_at,
        "reason": raw.get("reason", ""),
        "retry_in": max(0.0, remaining),
    }


def circuit_state(account_id: int) -> str:
    """Return ``closed``, ``open`` or ``half_open`` (the values of ``CircuitState``), as every process sees it."""
    return str(circuit_info(account_id)["state"])


def reset_circuit(account_id: int) -> None:
    """Close the circuit and forget its failures (an operator's decision, e.g. after re-enabling)."""
    _redis().delete(_key(account_id, "circuit"), _key(account_id, "probe"))


def reset_account(account_id: int) -> None:
    """Forget everything the guard holds for an account: circuit, bucket, back-off, slow-down."""
    _redis().delete(*(_key(account_id, part) for part in ("circuit", "probe", "bucket", "backoff", "slow")))


class Guard:
    """The anti-bot guard of one account. Cheap to build; its state lives in Redis."""

    def __init__(
        self,
        *,
        account_id: int,
        platform: str = "",
        rate_per_minute: float | None = None,
        burst: int | None = None,
        pacing: tuple[float, float] | None = None,
        circuit_failures: int | None = None,
        max_retries: int | None = None,
        max_wait_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account_id = account_id
        self.platform = platform
        self.rate_per_minute = float(
            rate_per_minute if rate_per_minute is not None else settings.LEASEBOT_RATE_PER_MINUTE
        )
        self.burst = int(burst if burst is not None else settings.LEASEBOT_RATE_BURST)
        self._pacing = pacing
        self.circuit_failures = int(
            circuit_failures if circuit_failures is not None else settings.LEASEBOT_CIRCUIT_FAILURES
        )
        self.max_retries = int(max_retries if max_retries is not None else settings.LEASEBOT_GUARD_MAX_RETRIES)
        self.max_wait_s = float(max_wait_s if max_wait_s is not None else settings.LEASEBOT_GUARD_MAX_WAIT_S)
        self._sleep = sleep
        self.redis = _redis()
        self._bucket = self.redis.register_script(_BUCKET_LUA)
        self._failure = self.redis.register_script(_FAILURE_LUA)
        self._success = self.redis.register_script(_SUCCESS_LUA)
        self._probing = False
        #: Actions and requests let through by this guard object (for logs and tests).
        self.actions = 0
        self.requests = 0

    # --- per action -------------------------------------------------------------------

    def before_action(self, *, request: bool = True) -> None:
        """Gate one browser action: circuit, platform back-off, token bucket (for requests), pacing."""
        self.check_circuit()
        self._wait_backoff()
        if request:
            self.acquire()
            self.requests += 1
        self.actions += 1
        self._pace()

    def acquire(self) -> float:
        """Take one token, sleeping while the bucket refills; return the time waited.

        A wait longer than ``max_wait_s`` raises :class:`RateLimited` instead, so a worker
        gives its slot back rather than sleeping for minutes.
        """
        waited = 0.0
        rate = max(self.rate_per_minute, 0.001) / 60.0
        while True:
            wait = float(self._bucket(keys=[_key(self.account_id, "bucket")], args=[rate, max(1, self.burst)]))
            if wait <= 0:
                return waited
            if waited + wait > self.max_wait_s:
                raise RateLimited("local rate limit for this account", retry_after=round(wait, 3), source="bucket")
            self._sleep(wait)
            waited += wait

    def _pace(self) -> None:
        low, high = (
            self._pacing
            if self._pacing is not None
            else (settings.LEASEBOT_PACING_MIN_S, settings.LEASEBOT_PACING_MAX_S)
        )
        if high <= 0:
            return
        if self.redis.exists(_key(self.account_id, "slow")):
            low, high = low * 2, high * 2
        self._sleep(random.uniform(max(0.0, low), max(low, high)))

    def _wait_backoff(self) -> None:
        until = self.redis.get(_key(self.account_id, "backoff"))
        if not until:
            return
        remaining = float(until) - _now(self.redis)
        if remaining <= 0:
            return
        if remaining > self.max_wait_s:
            raise RateLimited(
                "waiting out the platform's Retry-After", retry_after=round(remaining, 3), source="backoff"
            )
        logger.info("guard: honouring Retry-After, waiting %.1fs", remaining, extra={"account": self.account_id})
        self._sleep(remaining)

    def note_rate_limited(self, retry_after: float | None) -> float:
        """Store the platform's delay for every process and slow pacing down for ten minutes."""
        delay = float(retry_after) if retry_after is not None else float(settings.LEASEBOT_GUARD_DEFAULT_RETRY_AFTER_S)
        until = _now(self.redis) + delay
        pipe = self.redis.pipeline()
        pipe.set(_key(self.account_id, "backoff"), f"{until:.6f}", ex=max(1, int(delay) + 5))
        pipe.set(_key(self.account_id, "slow"), "1", ex=600)
        pipe.execute()
        return delay

    def inspect(
        self, *, status: int | None, headers: Mapping[str, str] | None, title: str, html: str, url: str = ""
    ) -> None:
        """Raise the error a loaded page stands for (captcha, block, 429, 5xx)."""
        error = detect_block(status=status, headers=headers, title=title, html=html, url=url)
        if error is not None:
            raise error

    # --- circuit ----------------------------------------------------------------------

    def check_circuit(self) -> None:
        """Refuse while the circuit is open; in half-open, let exactly one probe through."""
        if self._probing:
            return
        info = circuit_info(self.account_id)
        if info["state"] == CLOSED:
            return
        if info["state"] == OPEN:
            raise CircuitOpen(
                f"circuit open for this account ({info['reason'] or 'failures'})",
                retry_after=round(info["retry_in"], 1),
                reason=info["reason"],
            )
        claimed = self.redis.set(
            _key(self.account_id, "probe"), "1", nx=True, ex=max(60, int(settings.LEASEBOT_CIRCUIT_COOLDOWN_S))
        )
        if not claimed:
            raise CircuitOpen("circuit half-open: another process is probing", retry_after=5.0, reason=info["reason"])
        logger.info("guard: circuit half-open, probing", extra={"account": self.account_id})
        self._probing = True

    def record_success(self) -> None:
        self._success(
            keys=[_key(self.account_id, "circuit"), _key(self.account_id, "probe")],
            args=["1" if self._probing else "0"],
        )
        self._probing = False

    def record_failure(self, error: ConnectorError) -> bool:
        """Count a failure against the circuit; return whether the circuit is (now) open."""
        if isinstance(error, CircuitOpen | OutcomeUnknown | Permanent | HealingPending):
            return False  # Not the platform failing (a healed locator waits for a person, say).
        opened = bool(
            self._failure(
                keys=[_key(self.account_id, "circuit"), _key(self.account_id, "probe")],
                args=[self.circuit_failures, "1" if error.opens_circuit else "0", error.error_class],
            )
        )
        self._probing = False
        if opened:
            logger.warning("guard: circuit opened (%s)", error.error_class, extra={"account": self.account_id})
        return opened

    def state(self) -> str:
        return circuit_state(self.account_id)

    # --- whole operations -------------------------------------------------------------

    def run(self, op: Callable[[], T], *, refresh: Callable[[], None] | None = None, name: str = "operation") -> T:
        """Run a connector operation with the retry cap and one session refresh.

        ``op`` must be safe to repeat from the start (reads, or a send before its click).
        Transient failures retry up to ``max_retries`` times with jittered backoff; a 429
        is waited out (``Retry-After``) when short, raised when long; ``SessionExpired``
        calls ``refresh`` once and tries again; everything else is raised at once. Every
        failure that leaves this method counts against the circuit.
        """
        refreshed = False
        transient_tries = 0
        limited_tries = 0
        while True:
            self.check_circuit()
            try:
                result = op()
            except SessionExpired as exc:
                if refresh is None or refreshed or exc.extra.get("fresh_login"):
                    self.record_failure(exc)
                    raise
                refreshed = True
                logger.info(
                    "guard: %s hit an expired session, logging in again", name, extra={"account": self.account_id}
                )
                try:
                    refresh()
                except ConnectorError as refresh_error:
                    self.record_failure(refresh_error)
                    raise
            except RateLimited as exc:
                if exc.extra.get("source") in {"bucket", "backoff"}:
                    raise  # Our own limit, not the platform's: no circuit failure, the worker comes back later.
                limited_tries += 1
                delay = self.note_rate_limited(exc.retry_after)
                if limited_tries > self.max_retries or delay > self.max_wait_s:
                    self.record_failure(exc)
                    raise
                logger.info(
                    "guard: %s rate limited, retrying after %.1fs", name, delay, extra={"account": self.account_id}
                )
            except Transient as exc:
                transient_tries += 1
                if transient_tries > self.max_retries:
                    self.record_failure(exc)
                    raise
                backoff = random.uniform(0.5, 1.0) * min(8.0, 0.5 * 2**transient_tries)
                logger.info(
                    "guard: %s transient failure (%s), retry in %.1fs",
                    name,
                    exc.message,
                    backoff,
                    extra={"account": self.account_id},
                )
                self._sleep(backoff)
            except ConnectorError as exc:
                self.record_failure(exc)
                raise
            else:
                self.record_success()
                return result
