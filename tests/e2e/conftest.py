"""End-to-end fixtures: a live Django server, real Chromium (Playwright), an in-process sandbox.

Playwright's sync API runs an event loop in the test thread, which trips Django's
async-unsafe guard on database calls the test makes itself; allowing it here is the
standard arrangement for Playwright with ``live_server`` (the server runs in its own thread).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from playwright.sync_api import Browser, Dialog, Page
from playwright.sync_api import Error as PlaywrightError

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
#: Under var/ (git-ignored), so a test run leaves the work tree clean; ``make screenshots`` sets
#: LEASEBOT_SCREENSHOTS_DIR to docs/screenshots/ to refresh the documentation's pictures.
SCREENSHOTS = Path(os.environ.get("LEASEBOT_SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
PASSWORD = "correct-horse-battery"


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    """Make sure the reference data (platforms, settings row, roles) is there; post_migrate re-seeds after flushes."""
    from leasebot.seed import seed_reference_data

    seed_reference_data(django_apps)


class Pages:
    """Logged-in browser pages, one context per user, with every dialog recorded (and dismissed)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self._contexts: list[Any] = []

    def login(self, username: str, *, viewport: tuple[int, int] = (1366, 900)) -> Page:
        context = self.browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, timezone_id="America/New_York"
        )
        self._contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)

        def on_dialog(dialog: Dialog) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.goto(self.base_url + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    def close(self) -> None:
        # Let every page's requests finish first: one still running on the live server while the
        # test database is flushed can deadlock the flush.
        # Best effort: a page that never goes idle (a refresh timer, a slow answer) must not fail the
        # test it served; leaving it for about:blank stops anything it would still start.
        for context in self._contexts:
            for page in context.pages:
                with contextlib.suppress(PlaywrightError):
                    page.wait_for_load_state("networkidle", timeout=5_000)
                with contextlib.suppress(PlaywrightError):
                    page.goto("about:blank")
        for context in self._contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, live_server: Any, seeded: None) -> Iterator[Pages]:
    holder = Pages(browser, live_server.url)
    yield holder
    holder.close()


@pytest.fixture
def shot() -> Callable[..., None]:
    """Save a screenshot of the current page into ``SCREENSHOTS``: the full page, or with ``full_page=False`` the screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str, *, full_page: bool = True) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return take


def _in_worker_thread(job: Callable[..., Any], account_id: int, state_dir: Path, name: str) -> Any:
    """Run an account job as a worker would, with its own browser, in another thread.

    Playwright's sync API allows one driver per thread: the test thread already drives the
    agent's browser, so the "worker" gets a thread (and database connection) of its own.
    """
    from dispatch import connectors
    from platforms.browser import BrowserRuntime
    from platforms.connectors.registry import build_connector
    from platforms.guard import Guard
    from platforms.selectors import account_config

    result: dict[str, Any] = {}

    def work() -> None:
        runtime = BrowserRuntime(state_dir=state_dir, headless=True)
        try:
            connectors.use_factory(
                lambda acc: build_connector(
                    account_config(acc), runtime=runtime, guard=Guard(account_id=acc.pk, platform=acc.platform.slug)
                )
            )
            result["summary"] = job(account_id=account_id)
        except Exception as exc:
            result["error"] = exc
        finally:
            connectors.use_factory(None)
            runtime.close()
            connection.close()

    thread = threading.Thread(target=work, name=f"e2e-{name}-worker")
    thread.start()
    thread.join(timeout=120)
    if "error" in result:
        raise result["error"]
    return result["summary"]


@pytest.fixture
def worker_job(tmp_path: Path) -> Callable[[str, int], Any]:
    """``worker_job("send" | "ingest", account_id)``: the account's real send or ingest job, in a worker thread."""
    from dispatch.services import ingest_account_run, send_account_run

    jobs = {"send": send_account_run, "ingest": ingest_account_run}

    def run(kind: str, account_id: int) -> Any:
        return _in_worker_thread(jobs[kind], account_id, tmp_path / "worker-state", kind)

    return run
