"""An in-memory platform and connector for fast, deterministic dispatch unit tests.

The reliability promises are proven again with real workers, real Chromium and the
sandbox (tests/dispatch/test_reliability.py); this double only makes the service-level
paths quick to exercise. It implements the real connector contract.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from django.utils import timezone

from platforms import textmatch
from platforms.connectors.base import (
    BeforeClick,
    Connector,
    FetchStats,
    Inbound,
    OnThread,
    ReadBack,
    Receipt,
    ThreadRead,
)
from platforms.connectors.errors import ConnectorError, OutcomeUnknown
from platforms.connectors.web.send import FIND_SENT_TOLERANCE


@dataclasses.dataclass
class FakePlatform:
    """What the "platform" holds: thread messages, and faults to raise per call."""

    messages: list[Inbound] = dataclasses.field(default_factory=list)
    sent: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    send_errors: list[ConnectorError] = dataclasses.field(default_factory=list)
    fetch_errors: list[ConnectorError] = dataclasses.field(default_factory=list)
    record_then_unknown: bool = False
    connectors_built: int = 0
    calls: list[str] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    _ids: itertools.count = dataclasses.field(default_factory=lambda: itertools.count(1000))
    on_send: Callable[[], None] | None = None
    #: How the platform shows a text (the default: as typed); a test may curl quotes, linkify...
    render: Callable[[str], str] = lambda text: text
    #: The platform shows a reply sent through its form only after :meth:`reveal` (as Roomies shows one late).
    shows_late: bool = False
    hidden: set[str] = dataclasses.field(default_factory=set)
    #: A streaming fetch raises this after handing over this many threads (a read cut short midway).
    fail_after_threads: tuple[int, ConnectorError] | None = None
    #: Called after each thread a streaming fetch hands over (a test looks at the world midway).
    after_thread: Callable[[str], None] | None = None
    #: The threads' rows carry a signature (their last message's ref), as SpareRoom's inbox does.
    signs: bool = False
    #: What each streaming fetch was given as ``seen``, and the threads it opened.
    seen_given: list[dict[str, str]] = dataclasses.field(default_factory=list)
    opened: list[str] = dataclasses.field(default_factory=list)

    def reveal(self) -> None:
        """The late-shown replies appear."""
        self.hidden.clear()

    def visible(self) -> list[Inbound]:
        return [m for m in self.messages if m.message_ref not in self.hidden]

    def inbound(
        self,
        thread: str,
        body: str,
        *,
        ref: str | None = None,
        sender: str = "Jamie",
        listing_ref: str = "",
        at: datetime | None = None,
        direction: str = "in",
    ) -> Inbound:
        item = Inbound(
            thread_ref=thread,
            message_ref=ref or f"m{next(self._ids)}",
            sender_name=sender,
            body=body,
            sent_at=at or timezone.now(),
            direction=direction,
            listing_ref=listing_ref,  # type: ignore[arg-type]
        )
        self.messages.append(item)
        return item

    def factory(self, account: object) -> FakeConnector:
        self.connectors_built += 1
        return FakeConnector(self)


class FakeConnector(Connector):
    platform = "spareroom"

    def __init__(self, platform: FakePlatform) -> None:
        self.p = platform

    def login(self) -> None:
        self.p.calls.append("login")

    def fetch_new_messages(self, since: datetime | None) -> list[Inbound]:
        self.p.calls.append("fetch")
        if self.p.fetch_errors:
            raise self.p.fetch_errors.pop(0)
        return sorted(
            (
                dataclasses.replace(m, body=self.p.render(m.body))
                for m in self.p.visible()
                if since is None or m.sent_at > since
            ),
            key=lambda m: m.sent_at,
        )

    def fetch_threads(
        self,
        since: datetime | None,
        *,
        on_thread: OnThread,
        seen: Mapping[str, str] | None = None,
        keepalive: Callable[[], object] | None = None,
    ) -> FetchStats:
        """Hand over each thread with new messages (oldest activity first), as the browser connectors do."""
        self.p.calls.append("fetch")
        self.p.seen_given.append(dict(seen or {}))
        if self.p.fetch_errors:
            raise self.p.fetch_errors.pop(0)
        threads: dict[str, list[Inbound]] = {}
        for m in sorted(self.p.visible(), key=lambda m: m.sent_at):
            threads.setdefault(m.thread_ref, []).append(m)
        stats = FetchStats(listed=len(threads))
        for thread_ref, messages in sorted(threads.items(), key=lambda kv: kv[1][-1].sent_at):
            signature = f"last:{messages[-1].message_ref}" if self.p.signs else ""
            if signature and (seen or {}).get(thread_ref) == signature:
                stats.unchanged += 1
                continue
            fresh = tuple(
                dataclasses.replace(m, body=self.p.render(m.body))
                for m in messages
                if since is None or m.sent_at > since
            )
            if not fresh:
                stats.older += 1
                continue
            if self.p.fail_after_threads is not None and stats.opened >= self.p.fail_after_threads[0]:
                raise self.p.fail_after_threads[1]
            if keepalive is not None:
                keepalive()
            stats.opened += 1
            self.p.opened.append(thread_ref)
            on_thread(ThreadRead(thread_ref=thread_ref, messages=fresh, signature=signature))
            if self.p.after_thread is not None:
                self.p.after_thread(thread_ref)
        return stats

    def send_message(self, thread_ref: str, body: str, *, before_click: BeforeClick | None = None) -> Receipt:
        self.p.calls.append("send")
        if before_click is not None:
            before_click(sum(1 for m in self.p.visible() if m.thread_ref == thread_ref and m.direction == "out"))
        if self.p.on_send is not None:
            self.p.on_send()
        if self.p.send_errors:
            raise self.p.send_errors.pop(0)
        with self.p.lock:
            self.p.sent.append((thread_ref, body))
            item = self.p.inbound(thread_ref, body, direction="out", sender="us")
            if self.p.shows_late:
                self.p.hidden.add(item.message_ref)
        if self.p.record_then_unknown:
            raise OutcomeUnknown("confirmation page failed")
        return Receipt(thread_ref, item.message_ref, item.sent_at)

    def find_sent(self, thread_ref: str, body: str, after: datetime, *, outbound_before: int | None = None) -> ReadBack:
        """The real connectors' judgement (platforms.textmatch) over this thread, as shown (``shown``)."""
        self.p.calls.append("find_sent")
        thread = [m for m in self.p.visible() if m.thread_ref == thread_ref]
        shown = [dataclasses.replace(m, body=self.p.render(m.body)) for m in thread]
        check = textmatch.check_sent(
            body,
            [textmatch.ThreadMessage(m.message_ref, m.body, m.sent_at, m.direction) for m in shown],
            claimed_at=after,
            outbound_before=outbound_before,
            tolerance=FIND_SENT_TOLERANCE,
            previews=False,
        )
        refs = {e.ref for e in check.evidence}
        candidates = tuple(m for m in shown if m.message_ref in refs)
        receipt = None
        if check.verdict is textmatch.Verdict.CONFIRMED:
            found = next(m for m in candidates if m.message_ref == check.ref)
            receipt = Receipt(thread_ref, found.message_ref, found.sent_at)
        return ReadBack(check=check, receipt=receipt, candidates=candidates)
