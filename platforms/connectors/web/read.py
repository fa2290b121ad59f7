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
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar, TypeVar
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from platforms.connectors.base import FetchStats, Inbound, OnThread, ThreadRead, visibility_window
from platforms.connectors.dates import DateFormatError, DateTable, Stamp
from platforms.connectors.errors import SelectorDrift, SessionExpired, Transient
from platforms.connectors.web.blocks import clean_error
from platforms.connectors.web.session import SessionFlow

T = TypeVar("T")

logger = logging.getLogger(__name__)

MAX_INBOX_PAGES = 200
#: Added to the platform's visibility window before a row's time is trusted (:func:`settle_margin`):
#: the site stamps messages by its own clock and the read is timed by ours, which may run ahead,
#: and after the page arrived (the site rendered it a little earlier).
ROW_CLOCK_SLACK = timedelta(minutes=1)
#: What a thread or message reference looks like on every platform (ids, slugs): a healed read must show it.
REF_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
#: Older parts of one thread (button clicks, scrolls or pages) a read loads at most.
MAX_THREAD_PARTS = 200

# Runs in the page: true when none of the CSS candidates matches (a list no longer loading).
_NONE_PRESENT_JS = """
(sels) => !sels.some((s) => { try { return !!document.querySelector(s); } catch (e) { return false; } })
"""

# Runs in the page: how many items the first matching candidate finds.
_COUNT_JS = """
(sels) => { for (const s of sels) { let n = 0; try { n = document.querySelectorAll(s).length; } catch (e) { n = 0; }
  if (n) return n; } return 0; }
"""

# Runs in the page: an older-part load has settled (more items or no control, nothing busy),
# or the page says why it cannot (a session pop-up, a load error).
_EARLIER_SETTLED_JS = """
(w) => {
  const any = (sels) => sels.some((s) => { try { return !!document.querySelector(s); } catch (e) { return false; } });
  if (any(w.stop)) return true;
  if (any(w.busy)) return false;
  let n = 0;
  for (const s of w.items) { try { n = document.querySelectorAll(s).length; } catch (e) { n = 0; } if (n) break; }
  return n > w.before || !any(w.control);
}
"""


@dataclasses.dataclass(frozen=True)
class ThreadRow:
    """One inbox row: which thread, and (when the platform shows it exactly) its last activity."""

    thread_ref: str
    last_activity: datetime | None = None
    sender_name: str = ""
    #: What the row shows that changes with any new message (:func:`row_signature`); "" when nothing does.
    signature: str = ""


def row_signature(row: ThreadRow, raw: Mapping[str, str | None], *, read_at: datetime, settle: timedelta) -> str:
    """Digest what an inbox row shows of its thread's last message, or "" when that could hide a new one.

    The last message's id, where the row carries it, changes with every message that becomes
    the thread's newest, and otherwise the row's last activity (the latest its shown time can be)
    and the sender's name do; either is trusted only once ``settle`` had passed beyond that
    moment when the page was read. The id too: a site may list a thread by the message it had
    indexed before one that is already in the thread (the likely reason a chaos run once saw a
    reply in its thread that ingest, skipping the row, never read). A message can be stamped
    with a time inside the row's shown interval and yet appear only seconds after the read (a site's replicas show messages late):
    a message stamped 3:45:40 that shows only at 3:46:05 leaves a row read at 3:46:02 as it was,
    "3:45 PM" from the same renter. ``settle`` covers the platform's visibility window (and the
    site's clock against ours, :func:`settle_margin`): a message that shows in the row's interval
    after the read was stamped too late to be hidden by it. A row whose activity is more recent
    than that, or without a time, gets no signature and is opened every read; relative times
    ("2h") resolve differently at each read, so such rows rarely match and are opened too.
    Never skipping wrongly matters more than skipping often.
    """
    if row.last_activity is None or row.last_activity + settle > read_at:
        return ""
    last_ref = (raw.get("message_ref") or "").strip()
    if last_ref:
        basis = f"ref:{last_ref}"
    else:
        basis = f"at:{row.last_activity.astimezone(UTC).isoformat()}|from:{row.sender_name}"
    return hashlib.sha256(f"{row.thread_ref}\x00{basis}".encode()).hexdigest()[:32]


def settle_margin(platform: str) -> timedelta:
    """How long after a row's shown activity its time and sender are trusted to tell any later message apart.

    The platform's visibility window (``LEASEBOT_SEND_VISIBILITY_S``: how late it may show a
    message after the time it is stamped with) plus :data:`ROW_CLOCK_SLACK`.
    """
    return visibility_window(platform) + ROW_CLOCK_SLACK


class InboxReader(SessionFlow):
    """Read the inbox and its threads into :class:`~platforms.connectors.base.Inbound` messages."""

    #: The forms this platform prints dates in, and its zone (``platforms/connectors/dates.py``).
    dates: ClassVar[DateTable]
    #: When the page being parsed was read: what "just now", "2h" and "Today" are relative to.
    read_at: datetime | None = None

    def fetch_new_messages(self, since: datetime | None) -> list[Inbound]:
        """Return every message newer than ``since`` (both directions), across all inbox pages, oldest first."""
        found: dict[str, Inbound] = {}

        def keep(read: ThreadRead) -> None:
            for message in read.messages:
                found.setdefault(message.message_ref, message)

        self.fetch_threads(since, on_thread=keep)
        return sorted(found.values(), key=lambda m: (m.sent_at, _ref_key(m.message_ref)))

    def fetch_threads(
        self,
        since: datetime | None,
        *,
        on_thread: OnThread,
        seen: Mapping[str, str] | None = None,
        keepalive: Callable[[], object] | None = None,
    ) -> FetchStats:
        """Read the inbox down to ``since``, then each thread with new activity, handing each over as it is read.

        Threads are read oldest activity first (the order a whole read returned messages in);
        one whose row shows the signature ``seen`` holds for it is not opened. A retry after a
        transient failure starts again from the inbox but does not open again a thread it has
        already handed over while its row is unchanged.
        """
        if since is not None and since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        known = dict(seen or {})
        stats = FetchStats()

        def delivered(read: ThreadRead) -> None:
            on_thread(read)
            if read.signature:
                known[read.thread_ref] = read.signature

        def op() -> FetchStats:
            nonlocal stats
            stats = FetchStats()
            self._fetch(since, known, delivered, keepalive, stats)
            return stats

        try:
            result = self.guard.run(op, refresh=self._refresh, name="fetch")
        except BaseException:
            # A read cut short keeps its session too, if it can; its own error is the one that counts.
            try:
                self.runtime.save_state(self.platform, self.config.account_id)
            except Exception:  # noqa: BLE001 - best effort on the way out of a failure.
                logger.warning("connector: session not saved after a failed read", extra=self._extra())
            raise
        # The session the read ran with is kept (written only when it changed: cookies or local storage).
        self.runtime.save_state(self.platform, self.config.account_id)
        return result

    def _fetch(
        self,
        since: datetime | None,
        known: Mapping[str, str],
        on_thread: OnThread,
        keepalive: Callable[[], object] | None,
        stats: FetchStats,
    ) -> None:
        self._ensure_session()
        with self.resuming():
            rows = self.walk_inbox(since=since, keepalive=keepalive, stats=stats)
            self.remember_page("inbox")
            # Older parts of a thread are read until one message is at or before ``since``:
            # everything hidden behind it is older still, so nothing returned is left out.
            stop = None if since is None else (lambda read: any(m.sent_at <= since for m in read))
            stats.listed = len(rows)
            for row in reversed(rows):
                if since is not None and row.last_activity is not None and row.last_activity <= since:
                    stats.older += 1
                    continue
                if row.signature and known.get(row.thread_ref) == row.signature:
                    stats.unchanged += 1
                    continue
                if keepalive is not None:
                    keepalive()
                self.goto(self.url("thread", thread_ref=row.thread_ref))
                stats.opened += 1
                fresh: dict[str, Inbound] = {}
                for message in self.read_thread(row.thread_ref, stop=stop):
                    if since is None or message.sent_at > since:
                        fresh.setdefault(message.message_ref, message)
                self.remember_page("thread")
                ordered = sorted(fresh.values(), key=lambda m: (m.sent_at, _ref_key(m.message_ref)))
                on_thread(ThreadRead(thread_ref=row.thread_ref, messages=tuple(ordered), signature=row.signature))

    def walk_inbox(
        self,
        *,
        since: datetime | None = None,
        keepalive: Callable[[], object] | None = None,
        stats: FetchStats | None = None,
    ) -> list[ThreadRow]:
        """Read the inbox pages from the current one (the first), following the "next" link, down to ``since``.

        The inbox lists threads by their last activity, newest first: once a page ends with a
        row surely older than ``since``, every later page is older still and is not opened.
        (The last row, not the first: a pinned thread may stand at the top out of order.)
        """
        rows: dict[str, ThreadRow] = {}
        seen = {self.page.url}
        for _ in range(MAX_INBOX_PAGES):
            if keepalive is not None:
                keepalive()
            page_rows, next_href = self.read_inbox_page()
            if stats is not None:
                stats.pages += 1
            for row in page_rows:
                rows.setdefault(row.thread_ref, row)
            if not next_href:
                break
            last = page_rows[-1] if page_rows else None
            if (
                since is not None
                and last is not None
                and last.last_activity is not None
                and last.last_activity <= since
            ):
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
        rows = [self._signed(self.inbox_row(raw), raw) for raw in found.rows]
        if self.healed_in("inbox.rows"):
            for row in rows:
                if not REF_SHAPE.fullmatch(row.thread_ref):
                    raise self._invalid("inbox.rows.thread_ref", "a thread reference of an unexpected shape")
        nxt = self.find("inbox.next", required=False, wait=False)
        href = None
        if nxt is not None:
            with self._browser_errors("reading the pager"):
                href = nxt.get_attribute("href")
        return rows, href

    def _signed(self, row: ThreadRow, raw: Mapping[str, str | None]) -> ThreadRow:
        """Give a row its signature, when what it shows tells any later message apart (else "").

        Rows read through a healed locator get none: a field healed onto the wrong attribute
        could show the same value whatever arrives, and the thread would never be opened.
        """
        if row.signature or self.healed_in("inbox.rows"):
            return row
        return dataclasses.replace(
            row, signature=row_signature(row, raw, read_at=self.now(), settle=settle_margin(self.platform))
        )

    def read_thread(
        self, thread_ref: str, *, stop: Callable[[list[Inbound]], bool] | None = None, earlier: bool = True
    ) -> list[Inbound]:
        """Parse the thread on screen into messages (both directions), older parts included.

        The page may show only the latest messages (``thread.earlier``: a "load earlier"
        button, a scroll sentinel, or a link to the thread's older page): each older part is
        loaded and read in turn until none is left, or until ``stop`` (given the messages read
        so far) says the rest is not needed. ``earlier=False`` reads what is on screen only
        (a saved page). A session that expires on the way is logged in again where the
        operation allows it (:meth:`SessionFlow.resuming`).
        """
        self._wait_for_list()
        collected: dict[str, Inbound] = {}
        for _ in range(MAX_THREAD_PARTS):
            for message in self._read_thread_part(thread_ref):
                collected.setdefault(message.message_ref, message)
            if not earlier or (stop is not None and stop(list(collected.values()))):
                return list(collected.values())
            try:
                loaded = self._load_earlier()
            except SessionExpired:
                if not self._resume_login():
                    raise
                self.goto(self.url("thread", thread_ref=thread_ref))
                self._wait_for_list()
                continue
            if not loaded:
                return list(collected.values())
        raise Transient(
            f"{self.platform}: the thread kept offering earlier messages after {MAX_THREAD_PARTS} loads",
            **self._extra(thread=thread_ref, reason="list_incomplete"),
        )

    def _read_thread_part(self, thread_ref: str) -> list[Inbound]:
        """Parse the messages the page shows now."""
        found = self.extract("thread.messages")
        context = (
            self.extract_fields("thread", self.locators.group("thread.context").fields)
            if "thread.context" in self.locators.groups
            else {}
        )
        self.read_at = datetime.now(tz=UTC)
        messages = [self.thread_message(thread_ref, raw, context) for raw in found.rows]
        if self.healed_in("thread.messages"):
            for message in messages:
                if not REF_SHAPE.fullmatch(message.message_ref):
                    raise self._invalid("thread.messages.id", "a message reference of an unexpected shape")
                if not message.body.strip():
                    raise self._invalid("thread.messages.body", "an empty message body")
        return messages

    # --- what a healed read must show ------------------------------------------------------

    def _invalid(self, locator: str, what: str) -> SelectorDrift:
        """A healed read showed something no real read shows: the healing was wrong; drift, not data."""
        failed = self.healing_failed(locator, what)
        self._save_failure(f"drift-{locator}")
        drift = self._drift(f"{locator} read through a healed locator shows {what}", locator)
        drift.extra["healing_failed"] = failed
        return drift

    # --- lists that load in parts (thread paging, deferred lists) --------------------------

    def _wait_for_list(self) -> None:
        """Wait until the thread's message list has finished loading, then for its items.

        A list a script is still filling shows ``thread.loading`` (``aria-busy``, a spinner);
        a reader that did not wait would see too few messages. A list still loading after
        ``LEASEBOT_LIST_WAIT_S`` is :class:`~platforms.connectors.errors.Transient`
        (``reason="list_incomplete"``), never a partial read.
        """
        if "thread.loading" in self.locators.elements:
            candidates = list(self.locators.element("thread.loading").candidates)
            timeout_ms = float(settings.LEASEBOT_LIST_WAIT_S) * 1000
            try:
                # Most lists are complete on arrival: one evaluation says so without a polling wait.
                if not self.page.evaluate(_NONE_PRESENT_JS, candidates):
                    self.page.wait_for_function(_NONE_PRESENT_JS, arg=candidates, timeout=timeout_ms, polling=100)
            except PlaywrightTimeoutError:
                self._save_failure("list-incomplete")
                raise Transient(
                    f"{self.platform}: the message list did not finish loading",
                    **self._extra(reason="list_incomplete", url=self._path_of(self.page.url)),
                ) from None
            except PlaywrightError as exc:
                raise Transient(
                    f"{self.platform}: waiting for the message list failed: {clean_error(exc)}", **self._extra()
                ) from None
        self._wait_for_group("thread.messages")

    def _load_earlier(self) -> bool:
        """Load the thread's older part, if the page offers one; return whether it did.

        A link (``<a href>``) is followed; a button is clicked; anything else is a sentinel,
        scrolled into view. After a click or scroll the page must show more messages, or no
        more control, within ``LEASEBOT_LIST_WAIT_S``; a site's "session expired" pop-up is
        :class:`SessionExpired`, a load error :class:`Transient`.
        """
        if "thread.earlier" not in self.locators.elements:
            return False
        control = self.find("thread.earlier", required=False, wait=False)
        if control is None:
            return False
        with self._browser_errors("reading the earlier-messages control"):
            kind = control.evaluate("el => [el.tagName, el.getAttribute('href') || '']")
        tag, href = str(kind[0]).upper(), str(kind[1])
        if tag == "A" and href and not href.startswith(("#", "javascript:")):
            self.goto(self.absolute(href))
            self._wait_for_list()
            return True
        watch = {
            "items": self.item_candidates("thread.messages"),
            "control": list(self.locators.element("thread.earlier").candidates),
            "busy": list(self.locators.element("thread.loading").candidates)
            if "thread.loading" in self.locators.elements
            else [],
            "stop": [
                *(
                    self.locators.element("session.expired").candidates
                    if "session.expired" in self.locators.elements
                    else ()
                ),
                *(
                    self.locators.element("thread.load_error").candidates
                    if "thread.load_error" in self.locators.elements
                    else ()
                ),
            ],
        }
        self.dismiss_overlays()  # A modal over the page would catch the click.
        with self._browser_errors("counting messages"):
            watch["before"] = self.page.evaluate(_COUNT_JS, watch["items"])
        self.guard.before_action(request=True)  # The page fetches the older part from the platform.
        with self._browser_errors("loading earlier messages"):
            if tag == "BUTTON":
                control.click()
            else:
                control.scroll_into_view_if_needed()
        try:
            self.page.wait_for_function(
                _EARLIER_SETTLED_JS, arg=watch, timeout=float(settings.LEASEBOT_LIST_WAIT_S) * 1000, polling=100
            )
        except PlaywrightTimeoutError:
            self._save_failure("list-incomplete")
            raise Transient(
                f"{self.platform}: earlier messages did not load",
                **self._extra(reason="list_incomplete", url=self._path_of(self.page.url)),
            ) from None
        except PlaywrightError as exc:
            raise Transient(
                f"{self.platform}: loading earlier messages failed: {clean_error(exc)}", **self._extra()
            ) from None
        if "session.expired" in self.locators.elements and self.exists("session.expired"):
            raise SessionExpired(
                f"{self.platform}: the session expired while loading earlier messages", **self._extra()
            )
        if "thread.load_error" in self.locators.elements and self.exists("thread.load_error"):
            self._save_failure("list-incomplete")
            raise Transient(
                f"{self.platform}: the site could not load earlier messages", **self._extra(reason="list_incomplete")
            )
        return True

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
            if self.healed:
                drift.extra["healing_failed"] = self.healing_failed(locator, "a date in no known format")
            raise drift from None
        except (ValueError, KeyError, TypeError, RecursionError):
            drift = self._drift(f"{locator} has an unexpected format", locator)
            if self.healed:
                drift.extra["healing_failed"] = self.healing_failed(locator, "a value of an unexpected format")
            raise drift from None

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
