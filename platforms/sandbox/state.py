"""In-memory state of the sandbox: accounts, threads, messages, sessions, faults.

One :class:`SandboxState` serves all five replicas. Every read and write happens under
its lock, so the threaded HTTP server, the IMAP server and the control API see one
consistent picture. Nothing is persisted: a restart (or ``reset``) starts clean.
"""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platforms.sandbox.render import Profile, RenderError, SiteRendering, build_profile, pin_trait

PLATFORMS = ("spareroom", "roomies", "leasebreak", "renthop", "furnishedfinder")

#: Fault kinds the control API accepts, with the number of requests each affects by default
#: (``None``: every request until cleared).
FAULT_DEFAULT_COUNTS: dict[str, int | None] = {
    "captcha": None,  # A captcha page instead of every page.
    "block": None,  # A block (bot wall) page instead of every page.
    "rate_limit": 1,  # HTTP 429 with Retry-After.
    "session_expired": 1,  # Every session of the account is dropped: the next page redirects to login.
    "slow": None,  # Each response waits ``delay`` seconds first.
    "drift": None,  # Inbox and thread pages render a changed DOM.
    "send_unknown": 1,  # A reply is recorded, but the confirmation page fails (HTTP 500).
    "send_reject": 1,  # A reply is refused by the site (e.g. the thread was closed).
    "send_stall": 1,  # A reply is recorded, then the answer hangs ``delay`` seconds (a crash window).
}

# Distinct id ranges per platform so ids look like each site's and never collide in tests.
_ID_STARTS = {
    "spareroom": (41_200_000, 91_500_000),
    "roomies": (5_300, 700_000),
    "leasebreak": (18_000, 260_000),
    "renthop": (77_000_000, 12_000_000),
    "furnishedfinder": (3_100_000, 54_000_000),
}


def utcnow() -> datetime:
    """Return the sandbox's clock: UTC, whole seconds (what every replica can display)."""
    return datetime.now(tz=UTC).replace(microsecond=0)


@dataclasses.dataclass
class Message:
    """One message in a thread, as the platform stores it."""

    id: int
    thread_id: int
    direction: str  # "in" (the renter's) or "out" (the account's side)
    sender_name: str
    body: str
    sent_at: datetime
    via: str = "seed"  # "seed" (control API), "agent" (a human typed it on the site), "site" (reply form)
    visible_at: datetime | None = None  # Roomies shows a fresh reply only after a delay.

    def visible(self, now: datetime) -> bool:
        return self.visible_at is None or self.visible_at <= now

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "direction": self.direction,
            "sender_name": self.sender_name,
            "body": self.body,
            "sent_at": self.sent_at.isoformat(),
            "via": self.via,
        }


@dataclasses.dataclass
class Thread:
    """A conversation between the account and one renter about one listing."""

    id: int
    renter_name: str
    listing_ref: str
    listing_title: str
    messages: list[Message] = dataclasses.field(default_factory=list)
    closed: bool = False
    #: The renter's id on the platform (a profile id): the same person in every thread they
    #: start. Empty: the replica shows no profile of theirs (as before identity was modelled).
    renter_handle: str = ""

    def visible_messages(self, now: datetime) -> list[Message]:
        return sorted((m for m in self.messages if m.visible(now)), key=lambda m: (m.sent_at, m.id))

    def last_activity(self, now: datetime) -> datetime:
        visible = self.visible_messages(now)
        return visible[-1].sent_at if visible else datetime.min.replace(tzinfo=UTC)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "renter_name": self.renter_name,
            "listing_ref": self.listing_ref,
            "listing_title": self.listing_title,
            "renter_handle": self.renter_handle,
            "closed": self.closed,
            "messages": [m.as_dict() for m in sorted(self.messages, key=lambda m: (m.sent_at, m.id))],
        }


@dataclasses.dataclass
class Fault:
    """A fault switched on for one account: how many more requests it hits, and its knobs."""

    kind: str
    remaining: int | None
    retry_after: int = 2
    delay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class SentReply:
    """A reply exactly as the replica's form received it (before any normalisation)."""

    thread_id: int
    message_id: int
    body: str
    received_at: datetime
    confirmed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "message_id": self.message_id,
            "body": self.body,
            "received_at": self.received_at.isoformat(),
            "confirmed": self.confirmed,
        }


@dataclasses.dataclass
class Account:
    """A landlord or agent account on one replica."""

    platform: str
    username: str
    password: str
    display_name: str
    mailbox_user: str = ""
    mailbox_password: str = ""
    threads: dict[int, Thread] = dataclasses.field(default_factory=dict)
    sent: list[SentReply] = dataclasses.field(default_factory=list)
    faults: dict[str, Fault] = dataclasses.field(default_factory=dict)
    #: How the replica shows this account's messages (plain unless a test or the demo asks for realism).
    profile: Profile = dataclasses.field(default_factory=Profile)
    #: The zone the account's user chose in the site's settings (IANA name): its pages print local
    #: times in it. Empty: the site's own zone (each replica's ``timezone``).
    time_zone: str = ""
    requests: int = 0
    logins: int = 0
    failed_logins: int = 0
    login_codes: list[tuple[str, datetime]] = dataclasses.field(default_factory=list)
    request_log: list[tuple[datetime, str]] = dataclasses.field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.username.lower())

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "logins": self.logins,
            "failed_logins": self.failed_logins,
            "sent": len(self.sent),
            "faults": {k: f.as_dict() for k, f in self.faults.items()},
        }


class SandboxError(Exception):
    """A control API request the sandbox refuses (unknown account, bad input)."""


def _check_zone(name: str) -> None:
    """Refuse a zone name the zone database does not know ("" is the site's own zone)."""
    if not name:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SandboxError(f"{name!r} is not a known time zone (e.g. America/Los_Angeles)") from None


class SandboxState:
    """Everything the five replicas know, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config: dict[str, Any] = {}
        #: Delivers a login-code e-mail: ``sink(mailbox_user, mailbox_password, raw_bytes)``.
        self.mail_sink: Callable[[str, str, bytes], None] | None = None
        #: Called after every reset (the server clears its mailboxes there).
        self.reset_hooks: list[Callable[[], None]] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[tuple[str, str], Account] = {}
            self.sessions: dict[str, dict[str, tuple[str, str]]] = {p: {} for p in PLATFORMS}
            # Per session token: when it was opened (monotonic) and the requests made with it.
            self.session_use: dict[str, tuple[float, int]] = {}
            # Issued form tokens, oldest first (a dict keeps order); capped like a session store.
            self.tokens: dict[str, dict[str, None]] = {p: {} for p in PLATFORMS}
            self.platform_requests: dict[str, int] = dict.fromkeys(PLATFORMS, 0)
            self._thread_ids = {p: itertools.count(_ID_STARTS[p][0]) for p in PLATFORMS}
            self._message_ids = {p: itertools.count(_ID_STARTS[p][1]) for p in PLATFORMS}
            self.config = {
                "page_size": 10,
                "roomies_reply_delay_s": 3.0,
                "login_code_ttl_s": 600,
            }
        for hook in self.reset_hooks:
            hook()

    @contextmanager
    def locked(self) -> Iterator[SandboxState]:
        with self.lock:
            yield self

    # --- accounts ---------------------------------------------------------------------

    def create_account(
        self, platform: str, username: str, password: str = "", display_name: str = "", *, time_zone: str = ""
    ) -> Account:
        if platform not in PLATFORMS:
            raise SandboxError(f"unknown platform {platform!r}")
        if not username:
            raise SandboxError("username is required")
        _check_zone(time_zone)
        with self.lock:
            key = (platform, username.lower())
            if key in self.accounts:
                raise SandboxError(f"account {platform}/{username} exists")
            account = Account(
                platform=platform,
                username=username,
                password=password,
                display_name=display_name or username.split("@")[0].replace(".", " ").title(),
                time_zone=time_zone,
            )
            if platform == "furnishedfinder":
                account.mailbox_user = username
                account.mailbox_password = password or secrets.token_urlsafe(12)
            self.accounts[key] = account
            return account

    def account(self, platform: str, username: str) -> Account:
        with self.lock:
            try:
                return self.accounts[(platform, username.lower())]
            except KeyError:
                raise SandboxError(f"no account {platform}/{username}") from None

    def find_account(self, platform: str, username: str) -> Account | None:
        with self.lock:
            return self.accounts.get((platform, (username or "").lower()))

    def set_time_zone(self, account: Account, time_zone: str) -> None:
        """Change the zone the account's pages print local times in, as its user would in the site's settings."""
        _check_zone(time_zone)
        with self.lock:
            account.time_zone = time_zone

    # --- sessions and form tokens -----------------------------------------------------

    def open_session(self, account: Account) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[account.platform][token] = account.key
            self.session_use[token] = (time.monotonic(), 0)
            account.logins += 1
        return token

    def use_session(self, platform: str, token: str | None, *, max_requests: int, max_seconds: float) -> bool:
        """Count one request made with a session; drop it (return False) once it is past its life.

        ``max_requests`` and ``max_seconds`` are the ``session_lifetime`` limits (0: none).
        """
        if not token:
            return True
        with self.lock:
            if token not in self.sessions[platform]:
                return True
            opened, used = self.session_use.get(token, (time.monotonic(), 0))
            used += 1
            self.session_use[token] = (opened, used)
            if (max_requests and used > max_requests) or (max_seconds and time.monotonic() - opened > max_seconds):
                del self.sessions[platform][token]
                self.session_use.pop(token, None)
                return False
            return True

    def session_account(self, platform: str, token: str | None) -> Account | None:
        if not token:
            return None
        with self.lock:
            key = self.sessions[platform].get(token)
            return self.accounts.get(key) if key else None

    def close_session(self, platform: str, token: str | None) -> None:
        with self.lock:
            self.sessions[platform].pop(token or "", None)

    def expire_sessions(self, account: Account) -> None:
        with self.lock:
            sessions = self.sessions[account.platform]
            for token in [t for t, key in sessions.items() if key == account.key]:
                del sessions[token]

    def issue_token(self, platform: str) -> str:
        token = secrets.token_urlsafe(18)
        with self.lock:
            issued = self.tokens[platform]
            issued[token] = None
            while len(issued) > 5000:
                del issued[next(iter(issued))]
        return token

    def check_token(self, platform: str, token: str | None) -> bool:
        with self.lock:
            return bool(token) and token in self.tokens[platform]

    # --- content ----------------------------------------------------------------------

    def new_thread(
        self, account: Account, *, renter_name: str, listing_ref: str, listing_title: str, renter_handle: str = ""
    ) -> Thread:
        if renter_handle and not renter_handle.isalnum():
            raise SandboxError("renter_handle must be letters and digits (a platform's profile id)")
        with self.lock:
            thread = Thread(
                id=next(self._thread_ids[account.platform]),
                renter_name=renter_name,
                listing_ref=listing_ref,
                listing_title=listing_title,
                renter_handle=renter_handle,
            )
            account.threads[thread.id] = thread
            return thread

    def thread(self, account: Account, thread_id: int | str) -> Thread:
        with self.lock:
            try:
                return account.threads[int(thread_id)]
            except (KeyError, ValueError):
                raise SandboxError(f"no thread {thread_id} on {account.platform}/{account.username}") from None

    def add_message(
        self,
        account: Account,
        thread: Thread,
        *,
        direction: str,
        sender_name: str,
        body: str,
        sent_at: datetime | None = None,
        via: str = "seed",
        visible_after: float = 0.0,
    ) -> Message:
        with self.lock:
            when = (sent_at or utcnow()).astimezone(UTC).replace(microsecond=0)
            message = Message(
                id=next(self._message_ids[account.platform]),
                thread_id=thread.id,
                direction=direction,
                sender_name=sender_name,
                body=body,
                sent_at=when,
                via=via,
                visible_at=(utcnow() + timedelta(seconds=visible_after)) if visible_after > 0 else None,
            )
            thread.messages.append(message)
            return message

    def record_reply(self, account: Account, thread: Thread, raw_body: str, *, confirmed: bool) -> Message:
        """Store a reply typed into the site's form; the thread shows it with line breaks normalised.

        Roomies always shows a reply late; with the ``delayed_visibility`` trait on, every
        replica does, after the profile's number of seconds.
        """
        with self.lock:
            if account.profile.on("delayed_visibility"):
                delay = float(account.profile.knob("delayed_visibility", "seconds"))
            elif account.platform == "roomies":
                delay = float(self.config["roomies_reply_delay_s"])
            else:
                delay = 0.0
            message = self.add_message(
                account,
                thread,
                direction="out",
                sender_name=account.display_name,
                body=raw_body.replace("\r\n", "\n").strip(),
                via="site",
                visible_after=delay,
            )
            account.sent.append(
                SentReply(
                    thread_id=thread.id,
                    message_id=message.id,
                    body=raw_body,
                    received_at=utcnow(),
                    confirmed=confirmed,
                )
            )
            return message

    def sorted_threads(self, account: Account) -> list[Thread]:
        """Return the account's threads, most recent activity first (the inbox order)."""
        now = utcnow()
        with self.lock:
            threads = [t for t in account.threads.values() if t.visible_messages(now)]
            return sorted(threads, key=lambda t: (t.last_activity(now), t.id), reverse=True)

    # --- rendering profile ------------------------------------------------------------

    def set_profile(self, account: Account, name: str, site: SiteRendering, *, seed: int = 0) -> Profile:
        """Give the account a whole profile: ``plain`` or ``realistic`` (the site's traits, seeded)."""
        try:
            profile = build_profile(name, site, platform=account.platform, seed=seed)
        except RenderError as exc:
            raise SandboxError(str(exc)) from None
        with self.lock:
            account.profile = profile
        return profile

    def pin_trait(self, account: Account, site: SiteRendering, trait: str, *, on: bool = True, **knobs: Any) -> Profile:
        """Switch one trait on (with its knobs) or off on top of the account's current profile."""
        with self.lock:
            try:
                return pin_trait(account.profile, site, trait, on=on, **knobs)
            except RenderError as exc:
                raise SandboxError(str(exc)) from None

    # --- faults and traffic -----------------------------------------------------------

    def set_fault(self, account: Account, kind: str, *, count: int | None = -1, **knobs: Any) -> Fault:
        if kind not in FAULT_DEFAULT_COUNTS:
            raise SandboxError(f"unknown fault {kind!r}; known: {', '.join(FAULT_DEFAULT_COUNTS)}")
        remaining = FAULT_DEFAULT_COUNTS[kind] if count == -1 else count
        fault = Fault(kind=kind, remaining=remaining)
        if "retry_after" in knobs and knobs["retry_after"] is not None:
            fault.retry_after = int(knobs["retry_after"])
        if "delay" in knobs and knobs["delay"] is not None:
            fault.delay = float(knobs["delay"])
        with self.lock:
            account.faults[kind] = fault
        return fault

    def clear_faults(self, account: Account, kind: str | None = None) -> None:
        with self.lock:
            if kind:
                account.faults.pop(kind, None)
            else:
                account.faults.clear()

    def take_fault(self, account: Account, kind: str) -> Fault | None:
        """Return the fault if it is on, using up one of its remaining hits."""
        with self.lock:
            fault = account.faults.get(kind)
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del account.faults[kind]
            return fault

    def has_fault(self, account: Account | None, kind: str) -> bool:
        if account is None:
            return False
        with self.lock:
            return kind in account.faults

    def count_request(self, platform: str, account: Account | None, path: str) -> None:
        with self.lock:
            self.platform_requests[platform] += 1
            if account is not None:
                account.requests += 1
                account.request_log.append((datetime.now(tz=UTC), path))
                del account.request_log[:-500]
