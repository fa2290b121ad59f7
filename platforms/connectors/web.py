"""What every browser connector shares: navigation through the guard, locators, the read and send flows.

A platform's connector (``platforms/connectors/<slug>/connector.py``) supplies its
:class:`~platforms.connectors.locators.LocatorMap`, its login flow and the parsing of
its rows and messages; everything else (session reuse, pagination, drift detection,
the send's point of no return, read-back) lives here once.

Failure rules, all from DESIGN.md:

- every failure is one of :mod:`platforms.connectors.errors`, never a bare exception;
- an inbox with neither rows nor its "no messages" marker is :class:`SelectorDrift`,
  never an empty result;
- after the send button is clicked, nothing but a visible confirmation is success:
  anything else is :class:`OutcomeUnknown` (or :class:`Permanent` when the site says no),
  and the click is never repeated;
- passwords and codes never reach a message, a log line or a saved page.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urljoin, urlparse

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import Response as PlaywrightResponse
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from platforms.browser import BrowserRuntime
from platforms.connectors.base import AccountConfig, Connector, Inbound, Receipt
from platforms.connectors.errors import (
    AuthFailed,
    ConnectorError,
    NeedsOperatorLogin,
    OutcomeUnknown,
    Permanent,
    SelectorDrift,
    SessionExpired,
    Transient,
)
from platforms.connectors.locators import Group, Loc, LocatorMap
from platforms.credentials import CredentialUnavailable, resolve_credential
from platforms.guard import Guard

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_INBOX_PAGES = 200
#: Slack when matching a sent reply's platform time against the attempt's start
#: (platform clocks, and times shown to the minute or second).
FIND_SENT_TOLERANCE = timedelta(minutes=2)

# Runs inside the page: find the items of a group (first candidate that matches wins), read
# each field (first candidate that yields a value wins) and report which candidates matched.
_EXTRACT_JS = """
([itemCandidates, fields]) => {
  const read = (el, spec) => {
    if (spec.attr) return el.getAttribute(spec.attr);
    if (spec.text === 'inner') return (el.innerText || el.textContent || '').replace(/\\u00a0/g, ' ').trim();
    return (el.textContent || '').replace(/\\s+/g, ' ').trim();
  };
  const pick = (root, spec) => {
    for (const sel of spec.candidates) {
      let el = null;
      try { el = sel === ':scope' ? root : root.querySelector(sel); } catch (e) { el = null; }
      if (el) { const v = read(el, spec); if (v !== null && v !== '') return [v, sel]; }
    }
    return [null, null];
  };
  let itemSel = null; let items = [];
  if (itemCandidates) {
    for (const sel of itemCandidates) {
      let found = [];
      try { found = Array.from(document.querySelectorAll(sel)); } catch (e) { found = []; }
      if (found.length) { itemSel = sel; items = found; break; }
    }
  } else { items = [document]; itemSel = ':root'; }
  const matched = {}; const missing = {};
  const rows = items.map((el) => {
    const row = {};
    for (const [name, spec] of Object.entries(fields)) {
      const [value, sel] = pick(el, spec);
      row[name] = value;
      if (sel && !matched[name]) matched[name] = sel;
      if (value === null) missing[name] = (missing[name] || 0) + 1;
    }
    return row;
  });
  return {item: itemSel, rows, matched, missing};
}
"""


@dataclasses.dataclass(frozen=True)
class ThreadRow:
    """One inbox row: which thread, and (when the platform shows it exactly) its last activity."""

    thread_ref: str
    last_activity: datetime | None = None
    sender_name: str = ""


@dataclasses.dataclass
class Extracted:
    """What one group extraction found, and which candidates matched."""

    item: str | None
    rows: list[dict[str, str | None]]
    matched: dict[str, str]
    missing: dict[str, int]


def normalize_body(text: str) -> str:
    """Compare bodies as platforms show them: line endings and runs of whitespace do not count."""
    return re.sub(r"\s+", " ", text.replace("\r\n", "\n")).strip()


def _clean_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """Return a Playwright error's first line without its call log or any secret."""
    text = str(exc).split("Call log:", 1)[0].strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text[:300]


class BrowserConnector(Connector):
    """A connector that drives a real browser page through the guard."""

    platform: ClassVar[str]
    locators: ClassVar[LocatorMap]
    #: How long to poll for an element that a script may still be rendering.
    locator_wait_s: float

    def __init__(self, config: AccountConfig, *, runtime: BrowserRuntime, guard: Guard) -> None:
        if config.platform != self.platform:
            raise ValueError(f"{type(self).__name__} serves {self.platform}, not {config.platform}")
        self.config = config
        self.runtime = runtime
        self.guard = guard
        self.locator_wait_s = float(getattr(settings, "LEASEBOT_LOCATOR_WAIT_S", 2.0))
        #: Locator name -> the candidate that matched last (``connector_check`` reports it).
        self.matches: dict[str, str] = {}
        #: Locator names that matched nothing when last tried.
        self.misses: set[str] = set()
        #: Full logins this object ran (a reused session runs none).
        self.full_logins = 0
        self._secrets: tuple[str, ...] = ()
        self._last_chain: list[str] = []

    # --- plumbing ---------------------------------------------------------------------

    @property
    def page(self) -> Page:
        return self.runtime.page(self.platform, self.config.account_id)

    def url(self, name: str, **values: Any) -> str:
        path = self.locators.urls[name].format(**values)
        return self.config.base_url.rstrip("/") + path

    def _path_of(self, url: str) -> str:
        return urlparse(url).path.rstrip("/")

    def is_login_url(self, url: str) -> bool:
        return self._path_of(url).endswith(self._path_of(self.url("login")))

    def _extra(self, **values: Any) -> dict[str, Any]:
        return {"platform": self.platform, "account": self.config.account_id, **values}

    def _drift(self, what: str, locator: str) -> SelectorDrift:
        return SelectorDrift(
            f"{self.platform}: {what}", **self._extra(locator=locator, url=self._path_of(self.page.url))
        )

    def _save_failure(self, label: str) -> None:
        with contextlib.suppress(Exception):
            self.runtime.save_failure(
                self.page, platform=self.platform, account_id=self.config.account_id, label=label, secrets=self._secrets
            )

    @contextlib.contextmanager
    def _browser_errors(self, action: str) -> Iterator[None]:
        """Turn Playwright's errors into the taxonomy (message cleaned of call logs and secrets)."""
        try:
            yield
        except ConnectorError:
            raise
        except PlaywrightTimeoutError:
            raise Transient(f"{self.platform}: {action} timed out", **self._extra(action=action)) from None
        except PlaywrightError as exc:
            raise Transient(
                f"{self.platform}: {action} failed: {_clean_error(exc, self._secrets)}", **self._extra(action=action)
            ) from None

    def _inspect(self, response: PlaywrightResponse | None, *, allow_login: bool) -> None:
        page = self.page
        status = response.status if response is not None else None
        headers = response.headers if response is not None else {}
        try:
            html = page.content()
            title = page.title()
        except PlaywrightError as exc:
            raise Transient(f"{self.platform}: page unreadable: {_clean_error(exc)}", **self._extra()) from None
        try:
            self.guard.inspect(status=status, headers=headers, title=title, html=html, url=page.url)
        except ConnectorError as exc:
            if not isinstance(exc, Transient):
                self._save_failure(exc.error_class)
            exc.extra.update(self._extra())
            raise
        if not allow_login and self.is_login_url(page.url):
            raise SessionExpired(f"{self.platform}: sent back to the login page", **self._extra())

    def goto(self, url: str, *, allow_login: bool = False) -> PlaywrightResponse | None:
        """Open a URL through the guard and check what came back."""
        self.guard.before_action(request=True)
        with self._browser_errors("navigation"):
            response = self.page.goto(url, wait_until="domcontentloaded")
        self._inspect(response, allow_login=allow_login)
        return response

    def submit(
        self, target: Locator, *, allow_login: bool = False, action: str = "submit"
    ) -> PlaywrightResponse | None:
        """Click something that navigates (a form's submit), through the guard, and check the result."""
        self.guard.before_action(request=True)
        with self._browser_errors(action), self.page.expect_navigation(wait_until="domcontentloaded") as navigation:
            target.click()
        response = navigation.value
        self._last_chain = _redirect_chain(response)
        self._inspect(response, allow_login=allow_login)
        return response

    def fill(self, target: Locator, value: str, *, secret: bool = False) -> None:
        """Type into a field through the guard's pacing (no request, so no token)."""
        self.guard.before_action(request=False)
        try:
            target.fill(value)
        except PlaywrightError:
            what = "a secret field" if secret else "a field"
            raise Transient(f"{self.platform}: could not fill {what}", **self._extra()) from None

    def click(self, target: Locator, *, action: str = "click") -> None:
        self.guard.before_action(request=False)
        with self._browser_errors(action):
            target.click()

    # --- locators ---------------------------------------------------------------------

    def find(self, name: str, *, required: bool = True, wait: bool = True) -> Locator | None:
        """Return the first candidate of element ``name`` present on the page (polling briefly)."""
        spec = self.locators.element(name)
        deadline = time.monotonic() + (self.locator_wait_s if wait else 0)
        while True:
            for candidate in spec.candidates:
                target = self.page.locator(candidate)
                with contextlib.suppress(PlaywrightError):
                    if target.count() > 0:
                        self.matches[name] = candidate
                        self.misses.discard(name)
                        return target.first
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        self.misses.add(name)
        if required and spec.required:
            self._save_failure(f"drift-{name}")
            raise self._drift(f"element {name!r} not found", name)
        return None

    def require(self, name: str) -> Locator:
        """Return element ``name``; its absence is selector drift even if the map calls it optional."""
        found = self.find(name)
        if found is None:
            raise self._drift(f"element {name!r} not found", name)
        return found

    def exists(self, name: str, *, wait: bool = False) -> bool:
        return self.find(name, required=False, wait=wait) is not None

    def extract(self, group_name: str) -> Extracted:
        """Read a group's items and fields in one round trip; record matches."""
        group: Group = self.locators.group(group_name)
        return self._run_extract(group_name, list(group.item.candidates), group.fields)

    def extract_fields(self, name: str, fields: Mapping[str, Loc]) -> dict[str, str | None]:
        """Read page-level fields (listing link, renter name)."""
        found = self._run_extract(name, None, fields)
        return found.rows[0] if found.rows else {}

    def _run_extract(self, name: str, items: list[str] | None, fields: Mapping[str, Loc]) -> Extracted:
        specs = {k: {"candidates": list(v.candidates), "attr": v.attr, "text": v.text} for k, v in fields.items()}
        with self._browser_errors(f"reading {name}"):
            raw = self.page.evaluate(_EXTRACT_JS, [items, specs])
        found = Extracted(item=raw["item"], rows=raw["rows"], matched=raw["matched"], missing=raw["missing"])
        if items is not None:
            if found.item:
                self.matches[f"{name}"] = found.item
                self.misses.discard(name)
            else:
                self.misses.add(name)
        for field, selector in found.matched.items():
            self.matches[f"{name}.{field}"] = selector
            self.misses.discard(f"{name}.{field}")
        for field in found.missing:
            if field not in found.matched:
                self.misses.add(f"{name}.{field}")
        for field, spec in fields.items():
            if spec.required and found.missing.get(field):
                self._save_failure(f"drift-{name}.{field}")
                raise self._drift(f"{found.missing[field]} item(s) lack {name}.{field}", f"{name}.{field}")
        return found

    def _wait_for_group_or(self, group_name: str, marker: str) -> bool:
        """Wait until the group's items or the marker show; return whether items showed."""
        group = self.locators.group(group_name)
        deadline = time.monotonic() + self.locator_wait_s
        while True:
            for candidate in group.item.candidates:
                with contextlib.suppress(PlaywrightError):
                    if self.page.locator(candidate).count() > 0:
                        return True
            if self.exists(marker):
                return False
            if time.monotonic() >= deadline:
                self.misses.update({group_name, marker})
                self._save_failure(f"drift-{group_name}")
                raise self._drift(f"neither {group_name} nor {marker} found", group_name)
            time.sleep(0.1)

    def _wait_for_group(self, group_name: str) -> None:
        """Wait until the group's items show; their absence is drift."""
        group = self.locators.group(group_name)
        deadline = time.monotonic() + self.locator_wait_s
        while True:
            for candidate in group.item.candidates:
                with contextlib.suppress(PlaywrightError):
                    if self.page.locator(candidate).count() > 0:
                        return
            if time.monotonic() >= deadline:
                self.misses.add(group_name)
                self._save_failure(f"drift-{group_name}")
                raise self._drift(f"{group_name} not found", group_name)
            time.sleep(0.1)

    # --- credentials ------------------------------------------------------------------

    def _password(self) -> str:
        if not self.config.credential_ref:
            raise AuthFailed(f"{self.platform}: the account has no credential reference", **self._extra())
        try:
            secret = resolve_credential(self.config.credential_ref)
        except CredentialUnavailable as exc:
            raise AuthFailed(f"{self.platform}: {exc.message}", **self._extra()) from None
        self._secrets = (*self._secrets, secret)
        return secret

    # --- login ------------------------------------------------------------------------

    def login(self) -> None:
        """Reuse the stored session; run the full login only when it is gone."""
        self.guard.run(self._ensure_session, name="login")

    def _on_inbox(self) -> bool:
        return self._path_of(self.page.url) == self._path_of(self.url("inbox", page=1)) and not self.is_login_url(
            self.page.url
        )

    def _ensure_session(self) -> None:
        """Open the inbox; log in only when the platform sends us to its login page."""
        self.goto(self.url("inbox", page=1), allow_login=True)
        if not self.is_login_url(self.page.url) and self.exists("session.marker", wait=True):
            return
        self._login_now()
        if not self._on_inbox():
            self.goto(self.url("inbox", page=1))

    def _login_now(self) -> None:
        if self.config.login_method == "operator":
            raise NeedsOperatorLogin(
                f"{self.platform}: the saved session lapsed; an operator must log in again", **self._extra()
            )
        self.full_logins += 1
        logger.info("connector: full login", extra={"platform": self.platform, "account": self.config.account_id})
        self.full_login()
        if self.is_login_url(self.page.url) or not self.exists("session.marker", wait=True):
            self.login_failed()
        self.runtime.save_state(self.platform, self.config.account_id)

    def interactive_login(self, code_provider: Callable[[], str] | None = None) -> None:
        """Run a full login now, for a person at ``operator_login`` (``code_provider`` types e-mailed codes).

        Unlike :meth:`login`, it also runs for operator-only accounts: a person is there.
        """

        def op() -> None:
            self.full_logins += 1
            self.full_login(code_provider=code_provider)
            if self.is_login_url(self.page.url) or not self.exists("session.marker", wait=True):
                self.login_failed()
            self.runtime.save_state(self.platform, self.config.account_id)

        self.guard.run(op, name="operator login")

    def _refresh(self) -> None:
        """The guard's session refresh: forget the dead cookies, then log in again."""
        self.runtime.forget_session(self.platform, self.config.account_id)
        self._ensure_session()

    @abc.abstractmethod
    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        """Run the platform's login flow from its login page (each platform overrides).

        ``code_provider`` answers a one-time code prompt (platforms with e-mailed codes);
        password forms have none and ignore it.
        """

    def login_failed(self) -> None:
        """Raise the right error for a login that did not end logged in."""
        if any(not self.is_login_url(url) for url in self._last_chain[1:-1]):
            # The site accepted the login, sent us on, and bounced us straight back.
            # A refresh would only repeat this login: tell the guard not to try.
            raise SessionExpired(
                f"{self.platform}: the session was dropped right after logging in", **self._extra(fresh_login=True)
            )
        if self.exists("login.error_credentials"):
            self._save_failure("auth-failed")
            raise AuthFailed(f"{self.platform}: the platform refused the credentials", **self._extra())
        self._save_failure("login-incomplete")
        raise Transient(f"{self.platform}: login did not complete", **self._extra(url=self._path_of(self.page.url)))

    def dismiss_cookie_banner(self) -> None:
        if "cookies.accept" not in self.locators.elements:
            return
        button = self.find("cookies.accept", required=False, wait=False)
        if button is not None and button.is_visible():
            self.click(button, action="cookie banner")

    def password_login(self) -> None:
        """The common form: fill username and password, submit (platforms add their quirks around it)."""
        self.goto(self.url("login"), allow_login=True)
        if not self.is_login_url(self.page.url) and self.exists("session.marker"):
            return
        self.dismiss_cookie_banner()
        password = self._password()
        self.fill(self.require("login.username"), self.config.username)
        self.fill(self.require("login.password"), password, secret=True)
        remember = (
            self.find("login.remember", required=False, wait=False)
            if "login.remember" in self.locators.elements
            else None
        )
        if remember is not None:
            with contextlib.suppress(PlaywrightError):
                remember.check()
        self.submit(self.require("login.submit"), allow_login=True, action="login")

    # --- reading ----------------------------------------------------------------------

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
        """Parse a value read from the page; a value in an unknown format is drift too."""
        try:
            return parser(value or "")
        except (ValueError, KeyError, TypeError):
            raise self._drift(f"{locator} has an unexpected format", locator) from None

    def absolute(self, href: str | None) -> str:
        if not href:
            return ""
        base = self.page.url if self.page.url.startswith("http") else self.config.base_url + "/"
        return urljoin(base, href)

    # --- sending ----------------------------------------------------------------------

    def send_message(self, thread_ref: str, body: str) -> Receipt:
        """Post ``body`` once; confirm it in the thread. After the click, never a second try."""
        if not body.strip():
            raise Permanent(f"{self.platform}: refusing to send an empty message", **self._extra())
        before = self.guard.run(
            lambda: self._prepare_reply(thread_ref, body), refresh=self._refresh, name="send.prepare"
        )
        button = self.require("reply.submit")
        self.guard.before_action(request=True)
        # The point of no return: from the click on, any failure is an unknown outcome.
        try:
            with self.page.expect_navigation(wait_until="domcontentloaded") as navigation:
                button.click()
            response = navigation.value
        except PlaywrightError as exc:
            self._save_failure("send-unconfirmed")
            raise OutcomeUnknown(
                f"{self.platform}: no answer after the send click ({_clean_error(exc)})",
                **self._extra(thread=thread_ref),
            ) from None
        try:
            self._check_send_response(response)
            receipt = self.confirm_sent(thread_ref, body, before)
        except (OutcomeUnknown, Permanent):
            raise
        except ConnectorError as exc:
            self.guard.record_failure(exc)
            raise OutcomeUnknown(
                f"{self.platform}: send not confirmed ({exc.error_class})",
                **self._extra(thread=thread_ref, cause=exc.error_class),
            ) from exc
        except PlaywrightError as exc:
            raise OutcomeUnknown(
                f"{self.platform}: send not confirmed ({_clean_error(exc)})", **self._extra(thread=thread_ref)
            ) from None
        self.guard.record_success()
        self.runtime.save_state(self.platform, self.config.account_id)
        return receipt

    def _prepare_reply(self, thread_ref: str, body: str) -> set[str]:
        """Open the thread, note the messages already there, and type the reply (nothing sent yet)."""
        self._ensure_thread_session(thread_ref)
        existing = {m.message_ref for m in self.read_thread(thread_ref)}
        self.fill(self.require("reply.body"), body)
        self.require("reply.submit")
        return existing

    def _ensure_thread_session(self, thread_ref: str) -> None:
        response = self.goto(self.url("thread", thread_ref=thread_ref), allow_login=True)
        if self.is_login_url(self.page.url):
            self._login_now()
            response = self.goto(self.url("thread", thread_ref=thread_ref))
        if response is not None and response.status in (404, 410):
            raise Permanent(
                f"{self.platform}: thread not found", **self._extra(thread=thread_ref, status=response.status)
            )

    def _check_send_response(self, response: PlaywrightResponse | None) -> None:
        status = response.status if response is not None else None
        if status is not None and 400 <= status < 500 and status not in (401, 403, 429):
            self._save_failure("send-rejected")
            raise Permanent(
                f"{self.platform}: the platform rejected the message (HTTP {status})", **self._extra(status=status)
            )
        if status is not None and status >= 500:
            self._save_failure("send-unconfirmed")
            raise OutcomeUnknown(
                f"{self.platform}: the confirmation page failed (HTTP {status})", **self._extra(status=status)
            )
        self._inspect(response, allow_login=False)

    def confirm_sent(self, thread_ref: str, body: str, before: set[str]) -> Receipt:
        """Find the new message in the thread after the send (Roomies overrides: it polls)."""
        if self._path_of(self.page.url) != self._path_of(
            self.url("thread", thread_ref=thread_ref)
        ) or not self._query_matches(thread_ref):
            self.goto(self.url("thread", thread_ref=thread_ref))
        receipt = self._match_new(thread_ref, body, before)
        if receipt is None:
            self._save_failure("send-unconfirmed")
            raise OutcomeUnknown(
                f"{self.platform}: the reply is not in the thread after sending", **self._extra(thread=thread_ref)
            )
        return receipt

    def _query_matches(self, thread_ref: str) -> bool:
        expected = urlparse(self.url("thread", thread_ref=thread_ref)).query
        return not expected or expected in urlparse(self.page.url).query

    def _match_new(self, thread_ref: str, body: str, before: set[str]) -> Receipt | None:
        wanted = normalize_body(body)
        for message in reversed(self.read_thread(thread_ref)):
            if (
                message.direction == "out"
                and message.message_ref not in before
                and normalize_body(message.body) == wanted
            ):
                return Receipt(thread_ref=thread_ref, message_ref=message.message_ref, sent_at=message.sent_at)
        return None

    def find_sent(self, thread_ref: str, body: str, after: datetime) -> Receipt | None:
        """Read the thread back; return the receipt of ``body`` sent from our side at or after ``after``."""
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")

        def op() -> Receipt | None:
            self._ensure_thread_session(thread_ref)
            wanted = normalize_body(body)
            for message in self.read_thread(thread_ref):
                if (
                    message.direction == "out"
                    and message.sent_at >= after - FIND_SENT_TOLERANCE
                    and normalize_body(message.body) == wanted
                ):
                    return Receipt(thread_ref=thread_ref, message_ref=message.message_ref, sent_at=message.sent_at)
            return None

        return self.guard.run(op, refresh=self._refresh, name="find_sent")


def _redirect_chain(response: PlaywrightResponse | None) -> list[str]:
    """Return the URLs a navigation went through, first request to final page."""
    if response is None:
        return []
    chain = [response.url]
    request = response.request.redirected_from
    while request is not None:
        chain.append(request.url)
        request = request.redirected_from
    return list(reversed(chain))


def _ref_key(ref: str) -> tuple[int, str]:
    return (int(ref), "") if ref.isdigit() else (0, ref)
