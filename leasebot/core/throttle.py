"""Login throttling for the review UI's and the admin's login forms.

Django's login views have no throttle and DRF's throttles never see them. Failed logins
are counted in Redis per client address and per user name over a window; once either
count reaches its limit, further login POSTs get HTTP 429 with Retry-After (even with the
right password) until the window passes. A successful login clears the user's count.

The user name is counted in the form Django authenticates: its login form reads the name
in NFKC, so a full-width spelling of "alice" logs in as alice and must count as alice
(``user_key``). The address is the client's: ``REMOTE_ADDR``, or behind
``LEASEBOT_TRUSTED_PROXY_COUNT`` proxies the entry those proxies appended to
``X-Forwarded-For`` (``client_address``); otherwise every client behind a proxy shared one
count and one lockout.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import unicodedata
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from leasebot.core.redis import client as redis_client

logger = logging.getLogger(__name__)

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def _client() -> redis.Redis:
    return redis_client()


def user_key(username: str) -> str:
    """Return the form of a user name the throttle counts: NFKC (as Django's login form), casefolded."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def client_address(request: HttpRequest) -> str:
    """Return the client's address, trusting ``X-Forwarded-For`` only as far as the configured proxies.

    With N trusted proxies in front, each appends the address it saw, so the client is the
    N-th entry from the right of (forwarded addresses + ``REMOTE_ADDR``); entries further
    left were written by the client and prove nothing. A short or garbled header falls back
    to the nearest address we can trust.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.LEASEBOT_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    chain = [*[part for part in forwarded if part], remote]
    candidate = chain[-(trusted + 1)] if len(chain) > trusted else chain[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _limited_keys(request: HttpRequest | None, username: str) -> list[tuple[str, int]]:
    """Return the counters a login touches, each with its limit."""
    keys = []
    if request is not None:
        keys.append((f"leasebot:login-fail:ip:{client_address(request)}", settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_IP))
    if username:
        digest = hashlib.sha256(user_key(username).encode()).hexdigest()[:32]
        # Hashed: no user names in Redis.
        keys.append((f"leasebot:login-fail:user:{digest}", settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_USER))
    return keys


def _keys(request: HttpRequest | None, username: str) -> list[str]:
    return [key for key, _ in _limited_keys(request, username)]


@receiver(user_login_failed, dispatch_uid="leasebot.core.throttle.count_failure")
def _count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    try:
        pipe = _client().pipeline()
        for key in _keys(request, str(credentials.get("username", ""))):
            pipe.incr(key)
            pipe.expire(key, settings.LEASEBOT_LOGIN_WINDOW_S, nx=True)
        pipe.execute()
    except redis.RedisError:
        logger.warning("login throttle: redis unavailable, failure not counted")


@receiver(user_logged_in, dispatch_uid="leasebot.core.throttle.clear_user")
def _clear_user(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    try:
        _client().delete(*_keys(None, user.get_username()))
    except redis.RedisError:
        logger.warning("login throttle: redis unavailable, count not cleared")


def login_blocked_for(request: HttpRequest) -> int:
    """Return the seconds a login POST must wait (0: allowed)."""
    pairs = _limited_keys(request, str(request.POST.get("username", "")))
    try:
        client = _client()
        counts = client.mget([key for key, _ in pairs])
        for (key, limit), count in zip(pairs, counts, strict=True):
            if count is not None and int(count) >= limit:
                return max(1, int(client.ttl(key)))
    except redis.RedisError:
        logger.warning("login throttle: redis unavailable, login allowed")
    return 0


class LoginThrottleMiddleware:
    """Refuse login POSTs from an address or for a user name that failed too often."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path in LOGIN_PATHS:
            wait = login_blocked_for(request)
            if wait:
                response = HttpResponse(
                    f"Too many failed logins. Try again later (in {wait} seconds).",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
