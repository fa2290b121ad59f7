"""Where an account's browser may go: each platform's own hosts, plus a configured allow-list.

A worker types the account's password into whatever login form its base URL leads to, so
an admin who points ``base_url`` elsewhere would send the password there. The platforms'
domains are fixed here; ``LEASEBOT_ACCOUNT_HOST_ALLOWLIST`` adds hosts (outside production:
the local sandbox on loopback).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from platforms.choices import PlatformSlug
from platforms.connectors.errors import AuthFailed

#: Each platform's registered domains; a host is the domain or any name under it.
PLATFORM_DOMAINS: dict[str, tuple[str, ...]] = {
    PlatformSlug.SPAREROOM: ("spareroom.com", "spareroom.co.uk"),
    PlatformSlug.ROOMIES: ("roomies.com",),
    PlatformSlug.LEASEBREAK: ("leasebreak.com",),
    PlatformSlug.RENTHOP: ("renthop.com",),
    PlatformSlug.FURNISHEDFINDER: ("furnishedfinder.com",),
}


class BaseUrlRefused(AuthFailed):
    """An account's base URL leads outside its platform's hosts: no browser opens it.

    An ``AuthFailed``: the jobs do not retry, disable the account and tell a person.
    """

    default_message = "the account's base URL is not allowed"


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def base_url_refusal(platform_slug: str, url: str) -> str | None:
    """Return why an account of this platform may not open ``url`` (None: it may; an empty URL may)."""
    if not url:
        return None
    host = _host(url)
    if not host:
        return "the URL has no host"
    allowed = {h.strip("[]").lower() for h in settings.LEASEBOT_ACCOUNT_HOST_ALLOWLIST}
    if host in allowed:
        return None
    domains = PLATFORM_DOMAINS.get(platform_slug, ())
    if any(host == d or host.endswith("." + d) for d in domains):
        return None
    known = ", ".join([*domains, *sorted(allowed)]) or "none"
    return f"{host} is not a host of {platform_slug} (allowed: {known})"
