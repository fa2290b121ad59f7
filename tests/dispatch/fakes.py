"""An in-memory platform and connector for fast, deterministic dispatch unit tests.

The reliability promises are proven again with real workers, real Chromium and the
sandbox (tests/dispatch/test_reliability.py); this double only makes the service-level
paths quick to exercise. It implements the real connector contract.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from platforms.connectors.base import Connector, Inbound, Receipt
from platforms.connectors.errors import ConnectorError, OutcomeUnknown


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
        return sorted((m for m in self.p.messages if since is None or m.sent_at > since), key=lambda m: m.sent_at)

    def send_message(self, thread_ref: str, body: str) -> Receipt:
        self.p.calls.append("send")
        if self.p.on_send is not None:
            self.p.on_send()
        if self.p.send_errors:
            raise self.p.send_errors.pop(0)
        with self.p.lock:
            self.p.sent.append((thread_ref, body))
            item = self.p.inbound(thread_ref, body, direction="out", sender="us")
        if self.p.record_then_unknown:
            raise OutcomeUnknown("confirmation page failed")
        return Receipt(thread_ref, item.message_ref, item.sent_at)

    def find_sent(self, thread_ref: str, body: str, after: datetime) -> Receipt | None:
        self.p.calls.append("find_sent")
        for m in self.p.messages:
            if m.direction == "out" and m.thread_ref == thread_ref and m.body == body and m.sent_at >= after:
                return Receipt(thread_ref, m.message_ref, m.sent_at)
        return None
