"""Reading: walk every inbox page, open the threads with new activity, turn rows into messages.

The walk follows the inbox's "next" link until it ends (or repeats, or after
:data:`MAX_INBOX_PAGES`); an inbox showing neither rows nor its "no messages" marker is
drift, never an empty result. A platform supplies :meth:`InboxReader.inbox_row` and
:meth:`InboxReader.thread_message`, which parse one extracted row each, using
:meth:`InboxReader.parse_or_drift` so that a value in an unknown format is drift too.

Dates go through the platform's :class:`~platforms.connectors.dates.DateTable`
(:attr:`InboxReader.dates`), resolved against :attr:`InboxReader.read_at`, the moment the
page on screen was read (relative forms such as "2h" or "Today" mean nothing without it):
:meth:`InboxReader.sent_at_or_drift` for a message, :meth:`InboxReader.activity_or_drift`
for an inbox row (the latest the shown time can be, so a thread is skipped only when it is
surely older than the cursor). Local times are read in the account's zone
(``AccountConfig.time_zone``, the one its user set on the site), else the platform's.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import ClassVar, TypeVar
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from platforms.connectors.base import Inbound
from platforms.connectors.dates import DateFormatError, DateTable, Stamp
from platforms.connectors.web.session import SessionFlow

T = TypeVar("T")

MAX_INBOX_PAGES = 200


@dataclasses.dataclass(frozen=True)
class ThreadRow:
    """One inbox row: which thread, and (when the platform shows it exactly) its last activity."""

    thread_ref: str
    last_activity: datetime | None = None
    sender_name: str = ""


class InboxReader(SessionFlow):
    """Read the inbox and its threads into :class:`~platforms.connectors.base.Inbound` messages."""

    #: The forms this platform prints dates in, and its zone (``platforms/connectors/dates.py``).
    dates: ClassVar[DateTable]
    #: When the page being parsed was read: what "just now", "2h" and "Today" are relative to.
    read_at: datetime | None = None

    def fetch_new_messages(self, since: datetime | None) -> list[Inbound]:
        """Return every message newer than ``since`` (both directions), across all inbox pages, oldest first."""
        if since is not None and since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        messages = self.guard.run(lambda: self._fetch(since), refresh=self._refresh, name="fetch")
        self.runtime.save_state(self.platform, self.config.account_id)
        return messages

    def _fetch(self, since: datetime | None) -> list[Inbound]:
        self._ensure_session()
        rows = self.walk_inbox()
        found: dict[str, Inbound] = {}
        for row in rows:
            if since is not None and row.last_activity is not None and row.last_activity <= since:
                continue
            self.goto(self.url("thread", thread_ref=row.thread_ref))
            for message in self.read_thread(row.thread_ref):
                if since is None or message.sent_at > since:
                    found.setdefault(message.message_ref, message)
        return sorted(found.values(), key=lambda m: (m.sent_at, _ref_key(m.message_ref)))

    def walk_inbox(self) -> list[ThreadRow]:
        """Read every inbox page from the current one (the first), following the "next" link."""
        rows: dict[str, ThreadRow] = {}
        seen = {self.page.url}
        for _ in range(MAX_INBOX_PAGES):
            page_rows, next_href = self.read_inbox_page()
            for row in page_rows:
                rows.setdefault(row.thread_ref, row)
            if not next_href:
                break
            next_url = urljoin(self.page.url, next_href)
            if next_url in seen:
                break
            seen.add(next_url)
            self.goto(next_url)
        return list(rows.values())

    def read_inbox_page(self) -> tuple[list[ThreadRow], str | None]:
        """Parse the inbox page on screen: its rows and the "next page" link."""
        if not self._wait_for_group_or("inbox.rows", "inbox.empty"):
            return [], None
        found = self.extract("inbox.rows")
        self.read_at = datetime.now(tz=UTC)
        rows = [self.inbox_row(raw) for raw in found.rows]
        nxt = self.find("inbox.next", required=False, wait=False)
        href = None
        if nxt is not None:
            with self._browser_errors("reading the pager"):
                href = nxt.get_attribute("href")
        return rows, href

    def read_thread(self, thread_ref: str) -> list[Inbound]:
        """Parse the thread page on screen into messages (both directions)."""
        self._wait_for_group("thread.messages")
        found = self.extract("thread.messages")
        context = (
            self.extract_fields("thread", self.locators.group("thread.context").fields)
            if "thread.context" in self.locators.groups
            else {}
        )
        self.read_at = datetime.now(tz=UTC)
        return [self.thread_message(thread_ref, raw, context) for raw in found.rows]

    @abc.abstractmethod
    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        """Turn one extracted inbox row into a :class:`ThreadRow` (platforms override)."""

    @abc.abstractmethod
    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        """Turn one extracted message into an :class:`Inbound` (platforms override)."""

    def parse_or_drift(self, parser: Callable[[str], T], value: str | None, locator: str) -> T:
        """Parse a value read from the page; a value in an unknown format is drift too.

        A date no form of the platform explains names the value (a date is not personal
        data); any other value stays out of the message (it may be a renter's text).
        """
        try:
            return parser(value or "")
        except DateFormatError as exc:
            drift = self._drift(f"{locator} shows a date in no known format ({exc.reason}): {exc.value!r}", locator)
            drift.extra["value"] = exc.value
            raise drift from None
        except (ValueError, KeyError, TypeError, RecursionError):
            raise self._drift(f"{locator} has an unexpected format", locator) from None

    def now(self) -> datetime:
        """The moment the page being parsed was read (the clock, if nothing was read yet)."""
        return self.read_at or datetime.now(tz=UTC)

    @property
    def zone(self) -> ZoneInfo:
        """The zone the site prints this account's local times in: the account's, else the platform's."""
        return ZoneInfo(self.config.time_zone) if self.config.time_zone else self.dates.zone

    def stamp_or_drift(self, value: str | None, locator: str) -> Stamp:
        """Parse a shown date with the platform's table in the account's zone, relative to when the page was read."""
        now, zone = self.now(), self.zone
        return self.parse_or_drift(lambda text: self.dates.parse(text, now=now, zone=zone), value, locator)

    def sent_at_or_drift(self, value: str | None, locator: str) -> datetime:
        """A message's time, as :meth:`Stamp.sent_at <platforms.connectors.dates.Stamp.sent_at>` reports it."""
        return self.stamp_or_drift(value, locator).sent_at(self.now())

    def activity_or_drift(self, value: str | None, locator: str) -> datetime | None:
        """An inbox row's last activity at its latest (None when the row shows no date)."""
        if not value:
            return None
        return self.stamp_or_drift(value, locator).activity()

    def absolute(self, href: str | None) -> str:
        """Resolve a link read from the page against the page's URL (the base URL for a page without one)."""
        if not href:
            return ""
        base = self.page.url if self.page.url.startswith("http") else self.config.base_url + "/"
        return urljoin(base, href)


def _ref_key(ref: str) -> tuple[int, str]:
    """Order message refs as numbers when they are numbers (so "10" comes after "9")."""
    return (int(ref), "") if ref.isdigit() else (0, ref)
