"""End-to-end fixtures: a live Django server, real Chromium (Playwright), an in-process sandbox.

Playwright's sync API runs an event loop in the test thread, which trips Django's
async-unsafe guard on database calls the test makes itself; allowing it here is the
standard arrangement for Playwright with ``live_server`` (the server runs in its own thread).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
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
def shot() -> Callable[[Page, str], None]:
    """Save a full-page screenshot of the current page into ``SCREENSHOTS``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
