"""A Python client for the sandbox's control API (standard library ``urllib`` only).

client = SandboxClient("http://127.0.0.1:8765")
acct = client.create_account("spareroom", "agent@example.com", "s3cret-pass")
client.seed_message("spareroom", "agent@example.com", renter_name="Dana", body="Is it free?")
client.set_fault("spareroom", "agent@example.com", "captcha")
client.set_profile("spareroom", "agent@example.com", "realistic", seed=7)
client.pin_trait("spareroom", "agent@example.com", "delayed_visibility", seconds=0.5)
client.set_time_zone("spareroom", "agent@example.com", "America/Los_Angeles")
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from platforms.sandbox.state import PLATFORMS


class SandboxClientError(Exception):
    """The control API refused a request (the message says why)."""


def platform_base_url(root_url: str, platform: str) -> str:
    """Return a replica's base URL (what ``AccountConfig.base_url`` holds) from the sandbox root."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    return f"{root_url.rstrip('/')}/{platform}"


class SandboxClient:
    """Thin wrapper over ``/__control__/``; every method returns the decoded JSON answer."""

    def __init__(self, root_url: str, *, timeout: float = 10.0) -> None:
        if not root_url.startswith(("http://", "https://")):
            raise ValueError("the sandbox root URL must be http(s)")
        self.root_url = root_url.rstrip("/")
        self.timeout = timeout

    def base_url(self, platform: str) -> str:
        return platform_base_url(self.root_url, platform)

    def _call(self, method: str, name: str, payload: dict[str, Any] | None = None) -> Any:
        url = f"{self.root_url}/__control__/{name}"
        data = None
        clean = {k: v for k, v in (payload or {}).items() if v is not None or k == "count"}
        if method == "GET":
            query = {k: v for k, v in clean.items() if v is not None}
            if query:
                url += "?" + urlencode(query)
        else:
            data = json.dumps(clean, default=_json_default).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})  # noqa: S310 - http(s) only, checked in __init__.
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only, checked in __init__.
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("error", detail)
            raise SandboxClientError(f"{method} {name}: {detail}") from None

    # --- whole sandbox ----------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")

    def reset(self) -> None:
        self._call("POST", "reset")

    def configure(self, **values: Any) -> dict[str, Any]:
        """Change knobs: ``page_size``, ``roomies_reply_delay_s``, ``login_code_ttl_s``."""
        return self._call("POST", "config", values)

    # --- accounts ---------------------------------------------------------------------

    def create_account(
        self, platform: str, username: str, password: str = "", *, display_name: str = "", time_zone: str = ""
    ) -> dict[str, Any]:
        """Create an account; Furnished Finder's answer carries ``mailbox_url`` (its IMAP login).

        ``time_zone``: the IANA zone its user set on the site (local times are printed in it);
        empty: the site's own zone.
        """
        return self._call(
            "POST",
            "accounts",
            {
                "platform": platform,
                "username": username,
                "password": password,
                "display_name": display_name or None,
                "time_zone": time_zone or None,
            },
        )

    def set_time_zone(self, platform: str, username: str, time_zone: str) -> dict[str, Any]:
        """Change the zone the account's pages print local times in ("": the site's own zone)."""
        return self._call("POST", "time-zone", {"platform": platform, "username": username, "time_zone": time_zone})

    def account(self, platform: str, username: str) -> dict[str, Any]:
        return self._call("GET", "accounts", {"platform": platform, "username": username})

    # --- content ----------------------------------------------------------------------

    def seed_message(
        self,
        platform: str,
        username: str,
        *,
        renter_name: str,
        body: str,
        thread_id: int | str | None = None,
        listing_ref: str | None = None,
        listing_title: str | None = None,
        sent_at: datetime | None = None,
        renter_handle: str | None = None,
    ) -> dict[str, Any]:
        """Add a renter's message (a new thread unless ``thread_id``); returns thread and message ids.

        ``renter_handle``: the renter's profile id on the platform (the same in each of their threads).
        """
        return self._call(
            "POST",
            "messages",
            {
                "platform": platform,
                "username": username,
                "renter_name": renter_name,
                "body": body,
                "thread_id": thread_id,
                "listing_ref": listing_ref,
                "listing_title": listing_title,
                "sent_at": sent_at,
                "renter_handle": renter_handle,
            },
        )

    def add_outbound(
        self, platform: str, username: str, *, thread_id: int | str, body: str, sent_at: datetime | None = None
    ) -> dict[str, Any]:
        """Add a reply a human agent typed on the platform itself."""
        return self._call(
            "POST",
            "outbound",
            {"platform": platform, "username": username, "thread_id": thread_id, "body": body, "sent_at": sent_at},
        )

    def close_thread(self, platform: str, username: str, thread_id: int | str) -> dict[str, Any]:
        return self._call("POST", "close-thread", {"platform": platform, "username": username, "thread_id": thread_id})

    def threads(self, platform: str, username: str) -> list[dict[str, Any]]:
        return self._call("GET", "threads", {"platform": platform, "username": username})["threads"]

    def sent(self, platform: str, username: str) -> list[dict[str, Any]]:
        """Return the replies the replica's form received, bodies exactly as received."""
        return self._call("GET", "sent", {"platform": platform, "username": username})["sent"]

    # --- traffic and faults -----------------------------------------------------------

    def stats(self, platform: str, username: str) -> dict[str, Any]:
        """Return requests, logins, failed logins, sent count and active faults of an account."""
        return self._call("GET", "stats", {"platform": platform, "username": username})

    def request_count(self, platform: str, username: str | None = None) -> int:
        """Return requests seen for an account (or for the whole platform, anonymous ones included)."""
        return int(self._call("GET", "stats", {"platform": platform, "username": username})["requests"])

    def request_log(self, platform: str, username: str) -> list[dict[str, Any]]:
        return self._call("GET", "requests", {"platform": platform, "username": username})["requests"]

    def set_fault(
        self,
        platform: str,
        username: str,
        kind: str,
        *,
        count: int | str | None = "default",
        retry_after: int | None = None,
        delay: float | None = None,
    ) -> dict[str, Any]:
        """Switch a fault on: captcha, block, rate_limit, session_expired, slow, drift, send_unknown, send_reject, send_stall.

        ``count`` is how many requests it hits (``None``: until cleared; default: the fault's own).
        """
        payload: dict[str, Any] = {
            "platform": platform,
            "username": username,
            "kind": kind,
            "retry_after": retry_after,
            "delay": delay,
        }
        if count != "default":
            payload["count"] = count
        return self._call("POST", "faults", payload)

    def clear_faults(self, platform: str, username: str, kind: str | None = None) -> None:
        self._call("POST", "clear-faults", {"platform": platform, "username": username, "kind": kind})

    # --- rendering realism ------------------------------------------------------------

    def set_profile(
        self, platform: str, username: str, name: str = "realistic", *, seed: int | None = None
    ) -> dict[str, Any]:
        """Show the account's messages as ``plain`` (the default) or ``realistic`` (the site's traits, seeded)."""
        return self._call("POST", "profile", {"platform": platform, "username": username, "name": name, "seed": seed})

    def pin_trait(self, platform: str, username: str, trait: str, *, on: bool = True, **knobs: Any) -> dict[str, Any]:
        """Switch one rendering trait on (with its knobs, e.g. ``seconds=0.5``) or off; returns the profile."""
        return self._call(
            "POST", "traits", {"platform": platform, "username": username, "trait": trait, "on": on, "knobs": knobs}
        )

    def profile(self, platform: str, username: str) -> dict[str, Any]:
        """Return the account's profile (``name``, ``seed``, ``traits``, ``pinned``) and the replica's ``declared`` one."""
        return self._call("GET", "profile", {"platform": platform, "username": username})

    def traits(self) -> dict[str, Any]:
        """Return every known trait with its knobs."""
        return self._call("GET", "traits")["traits"]

    def login_codes(self, platform: str, username: str) -> list[dict[str, Any]]:
        """Return the one-time codes issued to an account (Furnished Finder), newest last."""
        return self._call("GET", "login-codes", {"platform": platform, "username": username})["codes"]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes sent to the sandbox must be timezone-aware")
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
