"""The browser runtime: one Chromium per worker process, one context per account.

- The browser starts lazily, on the first page a connector asks for, so a Celery prefork
  worker launches it in the child after the fork, never in the parent.
- Each account gets its own ``BrowserContext`` (cookies never mix between accounts); at most
  ``LEASEBOT_MAX_CONTEXTS`` stay open per process, the least recently used closed first (its
  session saved), so a worker serving many accounts keeps a bounded amount of Chromium; its
  ``storage_state`` (cookies and local storage: a secret) is kept by a session store
  (platforms/sessions.py: sealed in the shared database for workers, or a 0600 file when a
  directory is named) and loaded into the next context, on any worker, so a valid session
  never logs in again.
- ``LEASEBOT_BROWSER`` picks the binary: ``auto`` (Playwright's own Chromium when it is
  installed, else the system package, preferring ``/usr/lib/chromium/chromium``),
  ``playwright``, or a path.
- On failure, :meth:`BrowserRuntime.save_failure` keeps a screenshot and the HTML under
  ``LEASEBOT_STATE_DIR/failures`` with password and code fields blanked and known secrets
  replaced.

Playwright runs in a thread of its own inside the process (its sync API marks an asyncio
loop as running in its thread, which would turn Django's ORM off in the caller's thread);
callers use the usual sync API objects through thin proxies. Runtimes are kept per
process and calling thread; a prefork worker has exactly one.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import hashlib
import inspect
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from platforms.sessions import SessionStore, default_store, write_private

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Flags for containers and CI machines: no sandbox (root), no GPU, no background traffic.
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1280, "height": 900}
#: Inputs whose values never reach a failure screenshot or saved HTML.
MASKED_INPUTS = "input[type=password], input[autocomplete='one-time-code'], [data-testid='code']"
_TOKEN_VALUE_RE = re.compile(
    r"""(name=['"](?:[^'"]*(?:token|csrf|xsrf|verification|authenticity)[^'"]*)['"][^>]*?(?:value|content)=['"])[^'"]*(['"])""",
    re.I,
)


def find_system_chromium() -> str | None:
    """Return the Debian chromium binary (the real one, not the wrapper script), if any."""
    for candidate in ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def launch_options(choice: str, playwright: Playwright | None = None) -> dict[str, Any]:
    """Return ``executable_path`` (or nothing) for ``LEASEBOT_BROWSER``; fail with a clear message."""
    if choice in ("auto", "playwright"):
        own = ""
        if playwright is not None:
            with contextlib.suppress(PlaywrightError):
                own = playwright.chromium.executable_path
        if own and Path(own).exists():
            return {}
        if choice == "playwright":
            raise ImproperlyConfigured(
                "LEASEBOT_BROWSER=playwright but Playwright's Chromium is not installed (run `playwright install chromium`)."
            )
        system = find_system_chromium()
        if not system:
            raise ImproperlyConfigured(
                "No Chromium found: install Playwright's (`playwright install chromium`) or the system package "
                "(`apt-get install chromium`), or set LEASEBOT_BROWSER to a binary's path."
            )
        return {"executable_path": system}
    path = Path(choice)
    if not path.exists():
        raise ImproperlyConfigured(f"LEASEBOT_BROWSER points at {choice}, which does not exist.")
    return {"executable_path": str(path)}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace known secrets and hidden form tokens in saved HTML."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "[redacted]")
    return _TOKEN_VALUE_RE.sub(r"\1[redacted]\2", text)


class _BrowserThread:
    """The one thread that talks to Playwright.

    Playwright's sync API keeps an asyncio loop marked as running in the thread that uses
    it. Django then treats that thread as async: its ORM refuses to run
    (``SynchronousOnlyOperation``) or, worse, quietly hands out a second database
    connection outside any open transaction. So Playwright lives in a thread of its own,
    and every call is carried there and back (see :class:`_Remote`); the caller's thread
    stays an ordinary synchronous Django thread.
    """

    def __init__(self) -> None:
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._ident: int | None = None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if threading.get_ident() == self._ident:
            return fn(*args, **kwargs)  # Playwright calling back into our code (a route handler).
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
            self._ident = self._executor.submit(threading.get_ident).result()
        return self._executor.submit(fn, *args, **kwargs).result()

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._executor = None
        self._ident = None


def _is_playwright_object(value: Any) -> bool:
    return type(value).__module__.startswith("playwright.") and not isinstance(value, BaseException)


def _wrap(value: Any, thread: _BrowserThread) -> Any:
    if isinstance(value, list):
        return [_wrap(v, thread) for v in value]
    if _is_playwright_object(value):
        return _Remote(value, thread)
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, _Remote):
        return object.__getattribute__(value, "_target")
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


#: Page methods and properties that only read a field Playwright keeps up to date from the
#: browser's events (no I/O, no event loop): read in the caller's thread, without the hop.
_LOCAL_READS = frozenset({"url", "is_closed"})


class _Remote:
    """A Playwright object used from another thread: every access runs in the browser thread.

    Except :data:`_LOCAL_READS` on a page: the connector asks for the page's URL and whether
    it is closed dozens of times a job, and each hop costs a thread switch both ways.
    """

    __slots__ = ("_target", "_thread")

    def __init__(self, target: Any, thread: _BrowserThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_thread", thread)

    def __getattr__(self, name: str) -> Any:
        target = object.__getattribute__(self, "_target")
        thread = object.__getattribute__(self, "_thread")
        if name in _LOCAL_READS and isinstance(target, Page):
            return getattr(target, name)
        if inspect.isfunction(getattr(type(target), name, None)):
            method = getattr(target, name)  # Binding a method runs nothing.

            def remote_call(*args: Any, **kwargs: Any) -> Any:
                return _wrap(thread.call(method, *_unwrap(args), **_unwrap(kwargs)), thread)

            return remote_call
        return _wrap(thread.call(getattr, target, name), thread)  # Properties may talk to the browser.

    def __enter__(self) -> Any:
        thread = object.__getattribute__(self, "_thread")
        return _wrap(thread.call(object.__getattribute__(self, "_target").__enter__), thread)

    def __exit__(self, *exc: Any) -> Any:
        thread = object.__getattribute__(self, "_thread")
        return thread.call(object.__getattribute__(self, "_target").__exit__, *exc)

    def __repr__(self) -> str:
        return f"<remote {object.__getattribute__(self, '_target')!r}>"


class BrowserRuntime:
    """One Chromium and its per-account contexts, for one process (and thread)."""

    def __init__(
        self,
        *,
        browser: str | None = None,
        headless: bool | None = None,
        state_dir: Path | str | None = None,
        store: SessionStore | None = None,
    ) -> None:
        self.choice = browser or settings.LEASEBOT_BROWSER
        self.headless = settings.LEASEBOT_HEADLESS if headless is None else headless
        self.state_dir = Path(state_dir or settings.LEASEBOT_STATE_DIR)
        # Sessions: sealed in the database for every worker (LEASEBOT_SESSION_STORE), or files when
        # the caller names a directory (a test, a one-machine tool).
        self.store: SessionStore = store or default_store(state_dir)
        self.pid = os.getpid()
        self._thread = _BrowserThread()
        self._raw_playwright: Any = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._contexts: collections.OrderedDict[tuple[str, int], BrowserContext] = collections.OrderedDict()
        self.max_contexts = max(1, int(settings.LEASEBOT_MAX_CONTEXTS))
        self._pages: dict[tuple[str, int], Page] = {}
        #: A digest of each open context's cookies as last loaded or saved: unchanged cookies, no save.
        #: A digest of each open context's whole session as loaded or last saved (:func:`_state_digest`).
        self._states: dict[tuple[str, int], str] = {}

    # --- browser ----------------------------------------------------------------------

    @property
    def browser(self) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            if os.getpid() != self.pid:
                raise RuntimeError("a browser runtime cannot cross a fork; call get_runtime() in the child")
            self._browser = self._thread.call(self._launch)
            self._contexts.clear()
            self._pages.clear()
        return self._browser

    @property
    def playwright(self) -> Playwright:
        """The runtime's Playwright (for a headed operator login's persistent context)."""
        self.browser  # noqa: B018 - starts Playwright and the browser when needed.
        if self._playwright is None:
            raise RuntimeError("Playwright did not start")
        return self._playwright

    def _launch(self) -> Browser:
        """Start Playwright and Chromium (runs in the browser thread)."""
        if self._raw_playwright is None:
            self._raw_playwright = sync_playwright().start()
            self._playwright = _wrap(self._raw_playwright, self._thread)
        options = launch_options(self.choice, self._raw_playwright)
        browser = self._raw_playwright.chromium.launch(headless=self.headless, args=list(LAUNCH_ARGS), **options)
        logger.info("browser: launched Chromium %s (%s)", browser.version, options.get("executable_path", "playwright"))
        return _wrap(browser, self._thread)

    @property
    def started(self) -> bool:
        return self._browser is not None

    def user_agent(self) -> str:
        """Return a desktop Chrome user agent for this browser's version (not 'HeadlessChrome')."""
        major = self.browser.version.split(".", 1)[0]
        return (
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"
        )

    # --- contexts and session state ---------------------------------------------------

    def state_path(self, platform: str, account_id: int) -> Path:
        """Where the files store keeps the account's session (with the database store, nothing is there)."""
        return self.state_dir / f"{platform}-{int(account_id)}.json"

    def has_state(self, platform: str, account_id: int) -> bool:
        return self.store.load(platform, account_id) is not None

    def state_location(self, platform: str, account_id: int) -> str:
        """Say where the account's session is kept (for an operator)."""
        return self.store.where(platform, account_id)

    def context(self, platform: str, account_id: int) -> BrowserContext:
        """Return the account's context, creating it from the saved session when there is one."""
        key = (platform, int(account_id))
        context = self._contexts.get(key)
        if context is not None:
            self._contexts.move_to_end(key)
            return context
        while len(self._contexts) >= self.max_contexts:
            self._evict(next(iter(self._contexts)))
        options: dict[str, Any] = {"viewport": VIEWPORT, "locale": "en-US", "user_agent": self.user_agent()}
        saved = self.store.load(platform, account_id)
        if saved is not None:
            options["storage_state"] = saved
            self._states[key] = _state_digest(saved)
        context = self.browser.new_context(**options)
        context.set_default_timeout(float(settings.LEASEBOT_ACTION_TIMEOUT_S) * 1000)
        context.set_default_navigation_timeout(float(settings.LEASEBOT_NAV_TIMEOUT_S) * 1000)
        self._contexts[key] = context
        return context

    def _evict(self, key: tuple[str, int]) -> None:
        """Close the least recently used context to stay under the cap, keeping its session for next time."""
        try:
            self.save_state(*key, force=True)
        except (PlaywrightError, OSError):
            logger.warning("browser: session of %s/%s not saved before closing its context", *key)
        self.close_context(*key)
        logger.info("browser: closed the context of %s/%s (at most %d open)", key[0], key[1], self.max_contexts)

    @property
    def open_contexts(self) -> list[tuple[str, int]]:
        """The accounts with an open context, least recently used first."""
        return list(self._contexts)

    def page(self, platform: str, account_id: int) -> Page:
        """Return the account's one page (tab), opening it when needed."""
        key = (platform, int(account_id))
        current = self._pages.get(key)
        if current is not None and not current.is_closed():
            return current
        current = self.context(platform, account_id).new_page()
        self._pages[key] = current
        return current

    def save_state(self, platform: str, account_id: int, *, force: bool = False) -> bool:
        """Keep the account's cookies and local storage for the next context (any worker's, with the
        database store); return whether anything was written.

        Only when the session changed since it was loaded or last saved, unless ``force`` (a
        login just ran): the whole state is digested, cookies and each origin's local storage,
        since a site may keep its auth token in local storage and renew it there alone. The
        store itself skips a state equal to the one it holds.
        """
        key = (platform, int(account_id))
        context = self._contexts.get(key)
        if context is None:
            return False
        state: dict[str, Any] = dict(context.storage_state())
        fingerprint = _state_digest(state)
        if not force and self._states.get(key) == fingerprint:
            return False
        self._states[key] = fingerprint
        return self.store.save(platform, account_id, state)

    def write_state(self, platform: str, account_id: int, state: dict[str, Any]) -> str:
        """Store a session captured elsewhere (an operator's headed browser) for the workers; say where."""
        self.store.save(platform, account_id, state)
        self.close_context(platform, account_id)
        return self.store.where(platform, account_id)

    def profile_dir(self, platform: str, account_id: int) -> Path:
        """Return the persistent browser profile an operator's headed logins keep (cookies of social sign-ins)."""
        path = self.state_dir / "profiles" / f"{platform}-{int(account_id)}"
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def close_context(self, platform: str, account_id: int) -> None:
        """Close the account's context (the saved session stays on disk)."""
        key = (platform, int(account_id))
        self._pages.pop(key, None)
        self._states.pop(key, None)
        context = self._contexts.pop(key, None)
        if context is not None:
            with contextlib.suppress(PlaywrightError):
                context.close()

    def forget_session(self, platform: str, account_id: int) -> None:
        """Close the context and delete the saved session: the next use logs in from scratch."""
        self.close_context(platform, account_id)
        self.store.forget(platform, account_id)

    # --- failures ---------------------------------------------------------------------

    def save_failure(
        self, page: Page, *, platform: str, account_id: int, label: str, secrets: Iterable[str] = ()
    ) -> Path | None:
        """Save a screenshot and the HTML of a failed page, without secrets; return the HTML's path."""
        secrets = [s for s in secrets if s]
        folder = self.state_dir / "failures"
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%f")
        safe_label = re.sub(r"[^A-Za-z0-9_-]+", "-", label)[:60]
        stem = f"{stamp}-{platform}-{int(account_id)}-{safe_label}"
        html_path, png_path = folder / f"{stem}.html", folder / f"{stem}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(PlaywrightError):
                page.evaluate(
                    f"() => document.querySelectorAll({json.dumps(MASKED_INPUTS)}).forEach(e => {{ e.value = ''; }})"
                )
            html = redact(page.content(), secrets)
            write_private(html_path, html.encode())
            # A secret shown as text on the page cannot be masked reliably: no screenshot then.
            if not any(secret in page.inner_text("body") for secret in secrets):
                png = page.screenshot(full_page=True, mask=[page.locator(MASKED_INPUTS)], timeout=5000)
                write_private(png_path, png)
        except (PlaywrightError, OSError):
            logger.warning("browser: could not save failure artefacts for %s/%s", platform, account_id)
            return None
        return html_path

    # --- shutdown ---------------------------------------------------------------------

    def close(self) -> None:
        """Close every context, the browser and Playwright, and end the browser thread (worker shutdown)."""
        for key in list(self._contexts):
            self.close_context(*key)
        if self._browser is not None:
            with contextlib.suppress(PlaywrightError):
                self._browser.close()
        if self._raw_playwright is not None:
            with contextlib.suppress(PlaywrightError):
                self._thread.call(self._raw_playwright.stop)
        self._browser = None
        self._playwright = None
        self._raw_playwright = None
        self._thread.stop()


def _state_digest(state: Mapping[str, Any]) -> str:
    """A digest of a whole session (cookies, each origin's local storage), in a stable order (the browser's may change)."""
    cookies = sorted(json.dumps(c, sort_keys=True, default=str) for c in state.get("cookies") or [])
    origins = sorted(json.dumps(o, sort_keys=True, default=str) for o in _origins_sorted(state.get("origins") or []))
    return hashlib.sha256(json.dumps([cookies, origins]).encode()).hexdigest()


def _origins_sorted(origins: Iterable[Any]) -> list[Any]:
    """Each origin with its local storage items in a stable order."""
    out = []
    for origin in origins:
        if isinstance(origin, Mapping):
            items = origin.get("localStorage") or []
            origin = {**origin, "localStorage": sorted(items, key=lambda i: json.dumps(i, sort_keys=True, default=str))}
        out.append(origin)
    return out


_local = threading.local()


def get_runtime() -> BrowserRuntime:
    """Return this process's (and thread's) runtime, creating it on first use (after any fork)."""
    if settings.LEASEBOT_RUNTIME != "playwright":
        raise ImproperlyConfigured(
            f"LEASEBOT_RUNTIME is {settings.LEASEBOT_RUNTIME!r}: no real browser here. Pass a runtime to "
            "build_connector() explicitly, or use fake connectors in tests."
        )
    runtime = getattr(_local, "runtime", None)
    if runtime is None or runtime.pid != os.getpid():
        runtime = BrowserRuntime()
        _local.runtime = runtime
    return runtime


def set_runtime(runtime: BrowserRuntime | None) -> None:
    """Make ``runtime`` the one :func:`get_runtime` returns in this thread (tests, commands)."""
    _local.runtime = runtime


def close_runtime() -> None:
    """Close this process's runtime if it started one (Celery worker shutdown, atexit)."""
    runtime = getattr(_local, "runtime", None)
    if runtime is not None and runtime.pid == os.getpid():
        runtime.close()
    _local.runtime = None


# Celery workers close it on ``worker_process_shutdown`` (platforms/signals.py); plain processes here.
atexit.register(close_runtime)
