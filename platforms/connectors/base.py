"""The connector contract every platform implements.

Connectors never import Django models: they take frozen dataclasses in and give frozen
dataclasses out, so they can be tested against the sandbox, against saved HTML, or by
``connector_check`` without a database row in sight.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from django.conf import settings

from leasebot.core.validators import zone_named
from platforms.textmatch import SentCheck, Verdict

Direction = Literal["in", "out"]


def visibility_window(platform: str) -> timedelta:
    """How late the platform may show a message after it was posted (``LEASEBOT_SEND_VISIBILITY_S``, per platform).

    Sites serve pages from replicas that show a new message seconds late: a reply after the
    send click (the read-back believes "absent" only after this window) and a renter's message
    after the time it is stamped with (an inbox row is trusted unchanged only after it).
    """
    seconds = settings.LEASEBOT_SEND_VISIBILITY_S_PER_PLATFORM.get(platform, settings.LEASEBOT_SEND_VISIBILITY_S)
    return timedelta(seconds=float(seconds))


@dataclasses.dataclass(frozen=True)
class AccountConfig:
    """What a connector needs to know about one platform account.

    ``credential_ref`` and ``mailbox_ref`` are references (``env:NAME``), resolved only at
    the moment of login, never stored resolved. ``time_zone`` is the IANA zone the account's
    user set on the site, which prints local times in it ("" : the platform's default zone,
    ``platforms/connectors/dates.py``).
    """

    account_id: int
    platform: str
    base_url: str
    username: str
    credential_ref: str
    login_method: str = "password"  # "password", "email_code" or "operator"
    mailbox_ref: str = ""
    time_zone: str = ""

    def __post_init__(self) -> None:
        if self.time_zone:
            zone_named(self.time_zone)  # A name the zone database does not know fails here, not mid-read.


@dataclasses.dataclass(frozen=True)
class Inbound:
    """One message seen in a platform thread (a renter's, or one sent from our side)."""

    thread_ref: str
    message_ref: str
    sender_name: str
    body: str
    sent_at: datetime
    direction: Direction = "in"
    sender_handle: str = ""
    listing_ref: str = ""
    listing_url: str = ""
    listing_title: str = ""


@dataclasses.dataclass(frozen=True)
class ThreadRead:
    """One thread's messages newer than the cursor, oldest first, as a streaming fetch hands them over.

    ``signature`` digests what the thread's inbox row showed (""  when the row shows nothing
    that tells a new message apart): once every message here is stored, the caller may keep it
    and pass it back in ``seen``, and the thread is not opened again while its row shows the same.
    """

    thread_ref: str
    messages: tuple[Inbound, ...]
    signature: str = ""


@dataclasses.dataclass
class FetchStats:
    """What one fetch did: inbox pages read, threads listed, opened and skipped (unchanged or older)."""

    pages: int = 0
    listed: int = 0
    opened: int = 0
    unchanged: int = 0
    older: int = 0


#: Called with each thread read, in the order they are read; what it raises ends the fetch.
OnThread = Callable[[ThreadRead], None]


@dataclasses.dataclass(frozen=True)
class Receipt:
    """The platform's proof that a reply went out."""

    thread_ref: str
    message_ref: str
    sent_at: datetime


@dataclasses.dataclass(frozen=True)
class ReadBack:
    """What reading a thread back says about one reply (see :func:`platforms.textmatch.check_sent`).

    ``receipt`` is set only when the verdict is CONFIRMED; ``candidates`` are the outbound
    messages the verdict weighed (the evidence a person sees when it is UNKNOWN).
    """

    check: SentCheck
    receipt: Receipt | None
    candidates: tuple[Inbound, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict

    def evidence(self, *, excerpt: int = 300) -> dict[str, object]:
        """The verdict and its candidates as JSON for the outbox row and the person who decides."""
        kinds = {e.ref: e.kind.value for e in self.check.evidence}
        return {
            "verdict": self.check.verdict.value,
            "reason": self.check.reason,
            "outbound_before": self.check.outbound_before,
            "outbound_now": self.check.outbound_now,
            "candidates": [
                {
                    "ref": c.message_ref,
                    "sent_at": c.sent_at.isoformat(),
                    "match": kinds.get(c.message_ref, "none"),
                    "body": c.body[:excerpt],
                }
                for c in self.candidates
            ],
        }


#: Called once the reply is typed, right before the click, with the number of outbound
#: messages the thread shows then: the send job keeps it, so a read-back after a crash can
#: tell "nothing arrived" from "something arrived that we do not recognise".
BeforeClick = Callable[[int], None]


class Connector(abc.ABC):
    """One platform's implementation of login, read, send and read-back."""

    platform: ClassVar[str]

    @abc.abstractmethod
    def login(self) -> None:
        """Reuse the stored session; run the full login only when it is gone."""

    @abc.abstractmethod
    def fetch_new_messages(self, since: datetime | None) -> list[Inbound]:
        """Return every message newer than ``since``, across all inbox pages, oldest first."""

    def fetch_threads(
        self,
        since: datetime | None,
        *,
        on_thread: OnThread,
        seen: Mapping[str, str] | None = None,
        keepalive: Callable[[], object] | None = None,
    ) -> FetchStats:
        """Hand every thread with messages newer than ``since`` to ``on_thread`` as soon as it is read.

        A fetch cut short (an error, the time limit) has handed over the threads read before it.
        ``seen`` maps thread refs to the signatures kept from earlier reads: a thread whose
        inbox row still shows the same is not opened. ``keepalive`` is called while reading
        (each page), so the caller can extend what it holds. This default (for connectors
        without a streaming read) reads everything first, then hands it over thread by thread.
        """
        stats = FetchStats()
        by_thread: dict[str, list[Inbound]] = {}
        for message in self.fetch_new_messages(since):
            by_thread.setdefault(message.thread_ref, []).append(message)
        stats.listed = stats.opened = len(by_thread)
        for thread_ref, messages in by_thread.items():
            if keepalive is not None:
                keepalive()
            on_thread(ThreadRead(thread_ref=thread_ref, messages=tuple(messages)))
        return stats

    @abc.abstractmethod
    def send_message(self, thread_ref: str, body: str, *, before_click: BeforeClick | None = None) -> Receipt:
        """Post ``body`` in the thread once and return the platform's receipt once the thread shows it."""

    @abc.abstractmethod
    def find_sent(self, thread_ref: str, body: str, after: datetime, *, outbound_before: int | None = None) -> ReadBack:
        """Read the thread back and judge whether ``body`` was sent at or after ``after``."""
