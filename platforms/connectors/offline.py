"""Check a platform's locator map against saved HTML pages, offline (``connector_check --html``).

Each page is loaded into Chromium with every network request refused, and read with the
very code the live connector uses, so "matches offline" means "the connector would read it".
File names say what a page is (``login*.html``, ``inbox*.html``, ``thread*.html``);
otherwise the kind whose locators match best is assumed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import Page

from platforms.browser import BrowserRuntime
from platforms.connectors.base import AccountConfig
from platforms.connectors.errors import ConnectorError
from platforms.connectors.healing import LocatorMemory
from platforms.connectors.registry import connector_classes
from platforms.connectors.web import BrowserConnector
from platforms.guard import Guard

KINDS = ("login", "inbox", "thread")


class _OnePageRuntime:
    """Hands a connector one already-loaded page; nothing is saved."""

    def __init__(self, page: Page) -> None:
        self._page = page

    def page(self, platform: str, account_id: int) -> Page:
        return self._page

    def save_failure(self, *args: Any, **kwargs: Any) -> None:
        return None

    def save_state(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclasses.dataclass
class PageResult:
    file: str
    kind: str
    locators: dict[str, dict[str, Any]]
    summary: str
    failures: list[str]


@dataclasses.dataclass
class OfflineCheck:
    platform: str
    pages: list[PageResult]

    @property
    def failures(self) -> list[str]:
        return [f"{p.file}: {f}" for p in self.pages for f in p.failures]

    @property
    def ok(self) -> bool:
        return bool(self.pages) and not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "mode": "offline",
            "ok": self.ok,
            "failures": self.failures,
            "pages": [dataclasses.asdict(p) for p in self.pages],
        }


def _connector(
    platform: str, page: Page, time_zone: str = "", memory: LocatorMemory | None = None, account_id: int = 0
) -> BrowserConnector:
    config = AccountConfig(
        account_id=account_id,
        platform=platform,
        base_url="https://offline.invalid",
        username="",
        credential_ref="",
        time_zone=time_zone,
    )
    connector = connector_classes()[platform](
        config,
        runtime=cast(Any, _OnePageRuntime(page)),
        guard=Guard(account_id=account_id, platform=platform),
        memory=memory,
    )
    connector.locator_wait_s = 0
    return connector


def _probe(connector: BrowserConnector, kind: str) -> list[str]:
    """Try every locator a page kind must show; return the ones missing."""
    lmap = connector.locators
    missing = []
    healing = connector.memory is not None
    for name in lmap.pages[kind]:
        if name in lmap.elements:
            try:
                # With a memory, a required element that misses heals (and is reported as healed).
                found_element = connector.find(name, required=healing, wait=False)
            except ConnectorError:
                found_element = None
            if found_element is None:
                missing.append(name)
        else:
            try:
                found = connector.extract(name)
                if not found.item and healing and connector._heal_group(name):
                    found = connector.extract(name)
            except ConnectorError as exc:
                missing.append(str(exc.extra.get("locator", name)))
                continue
            if not found.item:
                missing.append(name)
    return missing


def _summarise(connector: BrowserConnector, kind: str, ref: str) -> str:
    if kind == "inbox":
        rows, next_href = connector.read_inbox_page()
        return f"{len(rows)} threads on the page, next page link: {'yes' if next_href else 'no'}"
    if kind == "thread":
        messages = connector.read_thread(ref, earlier=False)  # Offline: only what the saved page shows.
        incoming = sum(1 for m in messages if m.direction == "in")
        newest = max(messages, key=lambda m: m.sent_at)
        return (
            f"{len(messages)} messages ({incoming} in, {len(messages) - incoming} out), listing {newest.listing_ref or '-'}, "
            f"newest {newest.sent_at.isoformat()} from {newest.sender_name or '?'}"
        )
    return "login form"


def check_saved_pages(
    platform: str,
    folder: Path,
    *,
    runtime: BrowserRuntime,
    time_zone: str = "",
    memory: LocatorMemory | None = None,
    account_id: int = 0,
) -> OfflineCheck:
    """Load every ``*.html`` in ``folder`` offline and check the platform's locators against it.

    ``time_zone``: the zone the saved pages print local times in (the account's; "": the platform's).
    ``memory`` (with the ``account_id`` whose fingerprints it holds): locators that miss are
    healed against those fingerprints, and the report says what healed, with its score.
    """
    context = runtime.browser.new_context()
    context.route("**/*", lambda route: route.abort())
    results: list[PageResult] = []
    try:
        page = context.new_page()
        for file in sorted(folder.glob("*.htm*")):
            page.set_content(file.read_text(errors="replace"), wait_until="domcontentloaded")
            connector = _connector(platform, page, time_zone, memory, account_id)
            named = next((k for k in KINDS if file.stem.lower().startswith(k)), None)
            if named:
                kind, missing = named, _probe(connector, named)
            else:
                tried = {k: _probe(_connector(platform, page, time_zone), k) for k in KINDS}
                kind = min(tried, key=lambda k: len(tried[k]))
                connector = _connector(platform, page, time_zone, memory, account_id)
                missing = _probe(connector, kind)
            failures = [f"{name} missing" for name in missing]
            summary = ""
            if not failures:
                try:
                    summary = _summarise(connector, kind, file.stem)
                except ConnectorError as exc:
                    failures.append(f"{exc.extra.get('locator', '?')}: {exc.message}")
            report = {}
            for name in sorted(set(connector.matches) | connector.misses | set(connector.healed)):
                matched = connector.matches.get(name)
                report[name] = {
                    "matched": matched,
                    "fallback": _is_fallback(connector, name, matched),
                    "missing": name in connector.misses and not matched,
                    **healed_entry(connector, name),
                }
            results.append(PageResult(file=file.name, kind=kind, locators=report, summary=summary, failures=failures))
    finally:
        context.close()
    return OfflineCheck(platform=platform, pages=results)


def _is_fallback(connector: BrowserConnector, name: str, matched: str | None) -> bool:
    if not matched:
        return False
    lmap = connector.locators
    if name in lmap.elements:
        return matched != lmap.elements[name].candidates[0]
    if name in lmap.groups:
        return matched != lmap.groups[name].item.candidates[0]
    group_name, _, field = name.rpartition(".")
    group = lmap.groups.get(group_name) or lmap.groups.get(f"{group_name}.context")
    if group is not None and field in group.fields:
        return matched != group.fields[field].candidates[0]
    return False


def healed_entry(connector: BrowserConnector, name: str) -> dict[str, Any]:
    """What a report says about a locator's source: an accepted override, a healing (score, proposal), or the code."""
    healed = connector.healed.get(name)
    if healed is not None:
        return {
            "source": "healed",
            "healed": {"selector": healed.selector, "score": healed.score, "proposal": healed.event_id},
        }
    matched = connector.matches.get(name)
    if matched is not None and connector.overrides.get(name) == matched:
        return {"source": "override"}
    return {"source": "code"}
