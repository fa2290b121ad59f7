"""The bottom layer of a browser connector: its account, page, URLs and failure bookkeeping.

Every other layer of :mod:`platforms.connectors.web` builds on :class:`PageDriver`; it
holds the state they share (locator matches and misses, known secrets, the last redirect
chain) and the helpers that name a failure (extra context, drift, saved pages).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, ClassVar
from urllib.parse import urlparse

from django.conf import settings
from playwright.sync_api import Page

from platforms.browser import BrowserRuntime
from platforms.connectors.base import AccountConfig, Connector
from platforms.connectors.errors import SelectorDrift
from platforms.connectors.healing import Fingerprint, LocatorMemory
from platforms.connectors.locators import LocatorMap
from platforms.guard import Guard


@dataclasses.dataclass(frozen=True)
class Healed:
    """A locator healed during this connector's life: the selector used in its place and its event."""

    selector: str
    event_id: int
    score: float


class PageDriver(Connector):
    """The account, its browser page and guard, and the state the other layers share."""

    platform: ClassVar[str]
    locators: ClassVar[LocatorMap]
    #: How long to poll for an element that a script may still be rendering.
    locator_wait_s: float

    def __init__(
        self, config: AccountConfig, *, runtime: BrowserRuntime, guard: Guard, memory: LocatorMemory | None = None
    ) -> None:
        if config.platform != self.platform:
            raise ValueError(f"{type(self).__name__} serves {self.platform}, not {config.platform}")
        self.config = config
        self.runtime = runtime
        self.guard = guard
        self.locator_wait_s = float(settings.LEASEBOT_LOCATOR_WAIT_S)
        #: Locator name -> the candidate that matched last (``connector_check`` reports it).
        self.matches: dict[str, str] = {}
        #: Locator names that matched nothing when last tried.
        self.misses: set[str] = set()
        #: Full logins this object ran (a reused session runs none).
        self.full_logins = 0
        #: Passwords and codes typed so far: redacted from errors and saved pages.
        self._secrets: tuple[str, ...] = ()
        #: The URLs the last submitted form went through (see :meth:`SessionFlow.login_failed`).
        self._last_chain: list[str] = []
        #: Fingerprints and healing events (platforms/connectors/healing.py); None: no healing, as before.
        self.memory = memory
        #: Accepted locator overrides (data, not code): tried before the map's candidates.
        self.overrides: dict[str, str] = dict(memory.overrides(self.platform)) if memory is not None else {}
        #: Locators healed while this connector lived, by key.
        self.healed: dict[str, Healed] = {}
        #: The account's stored fingerprints (loaded on first use), and the keys checked against them.
        self._prints: dict[str, Fingerprint] | None = None
        self._printed: set[str] = set()
        #: Optional fields this connector tried to heal already (one scan per job at most).
        self._heal_tried: set[str] = set()
        #: True during a send or read-back: a healed locator is proposed, never used.
        self._holding = False

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
