"""Deterministic inbox and thread pages of the five replicas, built in-process (no HTTP, no browser).

Tokens, clock and ids are pinned, so two builds of the same content give the same bytes: the
plain-profile snapshot (``golden/plain_pages.json``) is compared byte for byte, and the
rendering tests read single pages with one trait pinned.

Regenerate the snapshot (only when a change to the replicas' plain pages is intended):
``UPDATE_GOLDEN=1 pytest tests/platforms/sandbox/test_rendering.py -k snapshot``.
"""

from __future__ import annotations

import html
import importlib
import itertools
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from platforms.connectors.jsdata import parse_js_data
from platforms.sandbox.replicas import REPLICAS, Replica
from platforms.sandbox.state import Account, SandboxState, Thread
from platforms.sandbox.web import Request

GOLDEN = Path(__file__).parent / "golden" / "plain_pages.json"

NOW = datetime(2026, 3, 12, 18, 0, 0, tzinfo=UTC)

#: A renter's message: a CRLF break, a non-breaking space, a decomposed "é", HTML-special characters.
BODY_IN = "Is the room still free? I'd like to see it Saturday.\r\nCafe\u0301 nearby?\u00a0Thanks & <3"

#: Our reply: every feature a real site re-renders (quotes, dashes, URLs, emoji, breaks, blank lines).
BODY_OUT = (
    "Hi Dana, it's available from May 1st -- rent is $1,200/mo.\n"
    'See https://www.example.com/listing/42/?utm_source=sr and www.example.org/tour "soon".\n'
    "\n"
    "\n"
    "\n"
    "Call me \U0001f600\U0001f44d\U0001f3fd any time... *really*\n"
    "Thanks again -- Sam"
)

SHORT_OUT = "Sure, Saturday at 11 works."

#: Where each replica's inbox and thread pages live, given a thread id.
PATHS: dict[str, tuple[str, Callable[[int], str]]] = {
    "spareroom": ("/roommate/mythreads_beta.pl", lambda t: f"/roommate/mythreads_beta.pl?thread_id={t}"),
    "roomies": ("/inbox", lambda t: f"/inbox/{t}"),
    "leasebreak": ("/messages", lambda t: f"/messages/{t}"),
    "renthop": ("/dashboard/leads", lambda t: f"/dashboard/leads/{t}"),
    "furnishedfinder": ("/members/Tenant-Message", lambda t: f"/members/messages?threadId={t}"),
}

REPLICA_MODULES = [f"platforms.sandbox.replicas.{slug}" for slug in PATHS]


def pin_randomness(monkeypatch: pytest.MonkeyPatch, now: datetime = NOW) -> None:
    """Make tokens and the sandbox clock deterministic for the rest of the test."""
    counter = itertools.count(1)
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n=32: f"tok{next(counter):04d}")
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):08x}")
    for name in ["platforms.sandbox.state", *REPLICA_MODULES]:
        monkeypatch.setattr(importlib.import_module(name), "utcnow", lambda: now)


class Site:
    """One replica with one logged-in account, driven by direct calls to its router."""

    def __init__(self, state: SandboxState, replica_cls: type[Replica]) -> None:
        self.state = state
        self.replica = replica_cls(state)
        self.slug = replica_cls.slug
        self.account: Account = state.create_account(self.slug, "agent@example.com", "pw-Golden-1", "Sam Agent")
        self.cookie = f"{replica_cls.session_cookie}={state.open_session(self.account)}"

    def get(self, path: str) -> str:
        req = Request.build("GET", path, {"cookie": self.cookie}, b"")
        response = self.replica.handle(req)
        assert response.status == 200, (self.slug, path, response.status)
        return response.body.decode()

    def post(self, path: str, form: str) -> int:
        headers = {"cookie": self.cookie, "content-type": "application/x-www-form-urlencoded"}
        return self.replica.handle(Request.build("POST", path, headers, form.encode())).status

    def profile(self, name: str, seed: int = 0) -> None:
        self.state.set_profile(self.account, name, self.replica.rendering, seed=seed)

    def pin(self, trait: str, *, on: bool = True, **knobs: object) -> None:
        self.state.pin_trait(self.account, self.replica.rendering, trait, on=on, **knobs)

    def inbox(self) -> str:
        return self.get(PATHS[self.slug][0])

    def thread_page(self, thread: Thread) -> str:
        return self.get(PATHS[self.slug][1](thread.id))

    def seed(self, *, body_in: str = BODY_IN, body_out: str = BODY_OUT) -> Thread:
        thread = self.state.new_thread(
            self.account, renter_name="Dana O'Neil", listing_ref="100001", listing_title="Sunny room & desk"
        )
        self.state.add_message(
            self.account,
            thread,
            direction="in",
            sender_name="Dana O'Neil",
            body=body_in,
            sent_at=NOW - timedelta(hours=3),
        )
        self.state.add_message(
            self.account,
            thread,
            direction="out",
            sender_name="Sam Agent",
            body=body_out,
            sent_at=NOW - timedelta(hours=2),
            via="site",
        )
        return thread


def build_sites() -> dict[str, Site]:
    state = SandboxState()
    return {cls.slug: Site(state, cls) for cls in REPLICAS}


def plain_pages(sites: dict[str, Site]) -> dict[str, str]:
    """Every replica's inbox and thread page, normal and drifted, with the fixed content."""
    pages: dict[str, str] = {}
    for slug, site in sites.items():
        thread = site.seed()
        short = site.seed(body_in="Still free?", body_out=SHORT_OUT)
        for variant in ("normal", "drift"):
            if variant == "drift":
                site.state.set_fault(site.account, "drift", count=None)
            pages[f"{slug}/{variant}/inbox"] = site.inbox()
            pages[f"{slug}/{variant}/thread"] = site.thread_page(thread)
            pages[f"{slug}/{variant}/thread-short"] = site.thread_page(short)
        site.state.clear_faults(site.account, "drift")
    return pages


#: Where a message body sits on each replica's (normal) thread page.
_BODY = {
    "spareroom": r"<dd class='message_body'>(.*?)</dd>",
    "leasebreak": r"<div class='message-body'>(.*?)</div>",
    "renthop": r"<div class='bubble-text' style='white-space:pre-wrap'>(.*?)</div>",
    "furnishedfinder": r"<div class='message-content' style='white-space:pre-wrap'>(.*?)</div>",
}
#: Where the last message's preview sits on each replica's (normal) inbox page.
_PREVIEW = {
    "spareroom": r"<span class='snippet'>(.*?)</span>",
    "roomies": r"<div class='text-sm text-grey-dark truncate'>(.*?)</div>",
    "leasebreak": r"<td class='subject'><a href='[^']*'>(.*?)</a></td>",
    "renthop": r"<div class='lead-preview'>(.*?)</div>",
    "furnishedfinder": r"<div class='tenant-msg-description'>(.*?)</div>",
}


def bodies(slug: str, page: str) -> list[str]:
    """The message bodies of a thread page as the page carries them (HTML; Roomies: the script's text)."""
    if slug == "roomies":
        found = re.findall(r'x-data="messageItem\((.*?)\)"', page)
        return [parse_js_data(html.unescape(raw))["content"] for raw in found]
    return re.findall(_BODY[slug], page, re.S)


def previews(slug: str, page: str) -> list[str]:
    """The message previews of an inbox page (escaped HTML text)."""
    return re.findall(_PREVIEW[slug], page, re.S)
