"""Finding elements and reading groups by the platform's locator map (the parsing glue).

Each locator names a list of candidate selectors, tried in order; the first that matches
wins and is remembered in ``matches`` (``connector_check`` reports which one, so a
fallback in use is visible before the primary one is gone). A required element or field
that nothing matches is :class:`~platforms.connectors.errors.SelectorDrift`, with the
page saved.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Mapping

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from platforms.connectors.locators import Group, Loc
from platforms.connectors.web.blocks import GuardedPage

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


# Runs inside the page: for each overlay-dismissing candidate (CSS), whether it is absent,
# hidden, on top at its centre (a real click reaches it) or covered by something else.
_OVERLAY_JS = """
(candidates) => candidates.map((sel) => {
  let el = null;
  try { el = document.querySelector(sel); } catch (e) { return 'absent'; }
  if (!el) return 'absent';
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (!box.width || !box.height || style.visibility === 'hidden' || style.display === 'none') return 'hidden';
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return top && (top === el || el.contains(top)) ? 'top' : 'covered';
})
"""

#: Overlays dismissed in one go at most (a modal, a banner, and one more that appears after them).
MAX_OVERLAYS = 4


@dataclasses.dataclass
class Extracted:
    """What one group extraction found, and which candidates matched."""

    item: str | None
    rows: list[dict[str, str | None]]
    matched: dict[str, str]
    missing: dict[str, int]


class ElementFinder(GuardedPage):
    """Locate elements and extract groups, recording which candidate matched and which did not."""

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

    def dismiss_overlays(self) -> None:
        """Dismiss what overlays the page (consent banners, interstitial modals), topmost first.

        The map's ``overlay.*`` elements name the controls that dismiss them (CSS candidates;
        none is required). Each round reads every candidate's state in one round trip; a
        control on top gets a real click, and one that something else covers (the overlay
        itself intercepting pointer events) gets its click event dispatched directly. The
        site's own script then stores the dismissal in a cookie, so later pages come clean.
        """
        names = [name for name in self.locators.elements if name.startswith("overlay.")]
        if not names:
            return
        candidates = [(name, sel) for name in names for sel in self.locators.element(name).candidates]
        selectors = [sel for _, sel in candidates]
        for _ in range(MAX_OVERLAYS):
            with self._browser_errors("looking for overlays"):
                states = self.page.evaluate(_OVERLAY_JS, selectors)
            shown = [(name, sel, state) for (name, sel), state in zip(candidates, states, strict=True)]
            ready = [c for c in shown if c[2] == "top"] or [c for c in shown if c[2] == "covered"]
            if not ready:
                return
            name, selector, state = ready[0]
            self.matches[name] = selector
            target = self.page.locator(selector).first
            self.guard.before_action(request=False)
            with self._browser_errors(f"dismissing {name}"):
                if state == "top":
                    target.click()
                else:
                    target.dispatch_event("click")

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
