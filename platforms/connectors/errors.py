"""The connector error taxonomy (docs/architecture.md, Errors).

Retries, health, audit and metrics all branch on these classes, so a connector must
raise exactly one of them for every failure: never a bare exception, never a silent
empty result.
"""

from __future__ import annotations

from typing import Any

from leasebot.core.exceptions import LeasebotError


class ConnectorError(LeasebotError):
    """Base of every failure that comes from talking to a platform."""

    default_message = "platform connector error"
    #: Whether a worker may try the same job again later.
    retryable = False
    #: Whether the account must be disabled (with this error as the reason).
    disables_account = False
    #: Whether the per-account circuit breaker opens at once.
    opens_circuit = False


class Transient(ConnectorError):
    """Timeout, 5xx or a network hiccup: retry with backoff and jitter."""

    default_message = "transient platform failure"
    retryable = True


class RateLimited(ConnectorError):
    """The platform asked us to slow down (429 or a 'too many requests' page)."""

    default_message = "rate limited by the platform"
    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class SessionExpired(ConnectorError):
    """The platform sent us back to its login: refresh the session once, then retry."""

    default_message = "platform session expired"
    retryable = True


class AuthFailed(ConnectorError):
    """Credentials were refused: no retry, disable the account, escalate."""

    default_message = "platform refused the credentials"
    disables_account = True


class NeedsOperatorLogin(AuthFailed):
    """The stored session lapsed on an account whose login a person must finish."""

    default_message = "account needs an operator-assisted login"


class CaptchaRequired(ConnectorError):
    """A captcha stands in the way: open the circuit, disable, escalate."""

    default_message = "platform demands a captcha"
    disables_account = True
    opens_circuit = True


class Blocked(ConnectorError):
    """A block or bot-wall page: open the circuit, disable, escalate."""

    default_message = "platform blocked the session"
    disables_account = True
    opens_circuit = True


class SelectorDrift(ConnectorError):
    """An element the locator map expects is missing: the platform changed its DOM."""

    default_message = "expected element missing (selector drift)"


class HealingPending(SelectorDrift):
    """A locator missed and healed, but the action is a send: it waits for a person to accept the proposal.

    Never retried and never counted against the circuit (the platform did nothing wrong);
    the send job returns the reply to review with a hold reason naming the proposal
    (``extra``: ``proposal``, ``locator``, ``proposed``, ``score``).
    """

    default_message = "a healed locator waits for a person's acceptance"


class Permanent(ConnectorError):
    """The platform refused this job for good (thread deleted, message rejected)."""

    default_message = "platform refused the job permanently"


class OutcomeUnknown(ConnectorError):
    """A send may or may not have reached the platform; only a read-back can tell.

    The worker must never resend on this error: it leaves the row in ``sending`` and
    reconciles it through ``find_sent``.
    """

    default_message = "send outcome unknown"


class CircuitOpen(ConnectorError):
    """The account's circuit breaker is open: no browser traffic until it half-opens."""

    default_message = "circuit open for this account"
    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        #: Seconds until the circuit half-opens (when known).
        self.retry_after = retry_after


ERROR_CLASSES: dict[str, type[ConnectorError]] = {
    cls.__name__: cls
    for cls in (
        Transient,
        RateLimited,
        SessionExpired,
        AuthFailed,
        NeedsOperatorLogin,
        CaptchaRequired,
        Blocked,
        SelectorDrift,
        HealingPending,
        Permanent,
        OutcomeUnknown,
        CircuitOpen,
    )
}
