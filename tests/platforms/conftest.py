"""Fixtures for the platform layer: one shared Chromium and sandbox accounts with their connectors.

The browser is session-scoped (starting Chromium costs about a second), and so is the
sandbox (``sandbox``, ``sandbox_client`` and ``sandbox_config`` are in tests/conftest.py);
every test gets its own sandbox account and its own guard account id, so tests never
share sessions, circuits or token buckets.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from platforms.browser import BrowserRuntime, set_runtime
from platforms.connectors.base import AccountConfig
from platforms.connectors.registry import build_connector
from platforms.connectors.web import BrowserConnector
from platforms.guard import Guard, reset_account
from platforms.sandbox.client import SandboxClient
from tests.conftest import SandboxLogin

PLATFORMS = ("spareroom", "roomies", "leasebreak", "renthop", "furnishedfinder")


@pytest.fixture
def fast_guard_settings(no_pacing: Any) -> Any:
    """No pacing, a generous bucket and short waits, so browser tests run at full speed."""
    settings = no_pacing
    settings.LEASEBOT_CIRCUIT_FAILURES = 3
    settings.LEASEBOT_CIRCUIT_COOLDOWN_S = 900
    settings.LEASEBOT_GUARD_MAX_RETRIES = 2
    settings.LEASEBOT_GUARD_MAX_WAIT_S = 10
    settings.LEASEBOT_LOCATOR_WAIT_S = 0.3
    settings.LEASEBOT_SEND_CONFIRM_TIMEOUT_S = 4
    settings.LEASEBOT_SEND_CONFIRM_POLL_S = 0.25
    settings.LEASEBOT_LOGIN_CODE_TIMEOUT_S = 10
    settings.LEASEBOT_NAV_TIMEOUT_S = 10
    settings.LEASEBOT_ACTION_TIMEOUT_S = 5
    return settings


@pytest.fixture(scope="session")
def browser_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-state")


@pytest.fixture(scope="session")
def browser_runtime(browser_state_dir: Path) -> Iterator[BrowserRuntime]:
    """One real Chromium for the session; it is also what ``get_runtime()`` returns in tests."""
    runtime = BrowserRuntime(state_dir=browser_state_dir, headless=True)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.close()


@dataclasses.dataclass
class SandboxAccount:
    """A sandbox account with everything a test needs to drive it."""

    platform: str
    username: str
    password: str
    config: AccountConfig
    client: SandboxClient
    runtime: BrowserRuntime
    guard: Guard
    connector: BrowserConnector

    def seed(self, **kwargs: Any) -> dict[str, Any]:
        return self.client.seed_message(self.platform, self.username, **kwargs)

    def stats(self) -> dict[str, Any]:
        return self.client.stats(self.platform, self.username)

    def sent(self) -> list[dict[str, Any]]:
        return self.client.sent(self.platform, self.username)

    def threads(self) -> list[dict[str, Any]]:
        return self.client.threads(self.platform, self.username)

    def fault(self, kind: str, **kwargs: Any) -> None:
        self.client.set_fault(self.platform, self.username, kind, **kwargs)

    def new_connector(self, *, runtime: BrowserRuntime | None = None, guard: Guard | None = None) -> BrowserConnector:
        """Build another connector for the same account (a later job, maybe another process)."""
        connector = build_connector(self.config, runtime=runtime or self.runtime, guard=guard or self.guard)
        assert isinstance(connector, BrowserConnector)
        return connector


@pytest.fixture
def make_account(
    sandbox_client: SandboxClient,
    sandbox_login: Callable[..., SandboxLogin],
    browser_runtime: BrowserRuntime,
    fast_guard_settings: Any,
) -> Iterator[Callable[..., SandboxAccount]]:
    """Create a fresh sandbox account and a connector for it (credentials as env references).

    ``time_zone``: the zone the account's user set on the site, given to both the replica and the config.
    """
    made: list[SandboxAccount] = []

    def make(
        platform: str,
        *,
        login_method: str = "",
        with_mailbox: bool = True,
        time_zone: str = "",
        **guard_options: Any,
    ) -> SandboxAccount:
        account_id = secrets.randbelow(10**9) + 10**9
        login = sandbox_login(
            platform,
            username=f"agent-{account_id}@example.com",
            tag=str(account_id),
            with_mailbox=with_mailbox,
            time_zone=time_zone,
        )
        username, password = login.username, login.password
        config = login.config(account_id, login_method=login_method or login.login_method)
        reset_account(account_id)
        guard = Guard(account_id=account_id, platform=platform, **guard_options)
        connector = build_connector(config, runtime=browser_runtime, guard=guard)
        assert isinstance(connector, BrowserConnector)
        account = SandboxAccount(
            platform, username, password, config, sandbox_client, browser_runtime, guard, connector
        )
        made.append(account)
        return account

    yield make
    for account in made:
        browser_runtime.forget_session(account.platform, account.config.account_id)
        reset_account(account.config.account_id)
