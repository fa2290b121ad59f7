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
import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from platforms.connectors.errors import HealingPending
from platforms.connectors.healing import (
    FINGERPRINT_LIB_JS,
    Fingerprint,
    Healing,
    HealKind,
    SelectorOption,
    choose_selector,
    components,
    rank,
)
from platforms.connectors.locators import Group, Loc
from platforms.connectors.web.blocks import OVERLAY_STATE_JS, GuardedPage
from platforms.connectors.web.driver import Healed

logger = logging.getLogger(__name__)

# Runs inside the page: find the items of a group (first candidate that matches wins), read
# each field (first candidate that yields a value wins) and report which candidates matched.
_EXTRACT_JS = (
    "([itemCandidates, fields, prints]) => {"
    + FINGERPRINT_LIB_JS
    + """;
  const read = (el, spec) => {
    if (spec.attr) return el.getAttribute(spec.attr);
    if (spec.text === 'inner') return (el.innerText || el.textContent || '').replace(/\\u00a0/g, ' ').trim();
    return (el.textContent || '').replace(/\\s+/g, ' ').trim();
  };
  const pick = (root, spec) => {
    for (const sel of spec.candidates) {
      let el = null;
      try { el = sel === ':scope' ? root : root.querySelector(sel); } catch (e) { el = null; }
      if (el) { const v = read(el, spec); if (v !== null && v !== '') return [v, sel, el]; }
    }
    return [null, null, null];
  };
  let itemSel = null; let items = [];
  if (itemCandidates) {
    for (const sel of itemCandidates) {
      let found = [];
      try { found = Array.from(document.querySelectorAll(sel)); } catch (e) { found = []; }
      if (found.length) { itemSel = sel; items = found; break; }
    }
  } else { items = [document]; itemSel = ':root'; }
  const matched = {}; const missing = {}; const fps = {};
  const rows = items.map((el, i) => {
    const row = {};
    for (const [name, spec] of Object.entries(fields)) {
      const [value, sel, found] = pick(el, spec);
      row[name] = value;
      if (sel && !matched[name]) {
        matched[name] = sel;
        if (prints && sel !== ':scope' && found.nodeType === 1) fps[name] = window.__lbFp.fp(found, itemCandidates ? el : null);
      }
      if (value === null) missing[name] = (missing[name] || 0) + 1;
    }
    return row;
  });
  if (prints && itemCandidates && items.length) fps[':item'] = window.__lbFp.fp(items[0], null);
  return {item: itemSel, rows, matched, missing, prints: fps};
}
"""
)

# Runs inside the page: for each locator key, the first CSS candidate present and its element's fingerprint.
_PRINT_PAGE_JS = (
    "(pairs) => {"
    + FINGERPRINT_LIB_JS
    + """;
  return pairs.map(([key, candidates]) => {
    for (const sel of candidates) {
      let el = null;
      try { el = document.querySelector(sel); } catch (e) { el = null; }
      if (el) return [key, sel, window.__lbFp.fp(el, null)];
    }
    return [key, null, null];
  });
}"""
)

# Runs inside the page: every element of the page, or of the ``at``-th item of a group, fingerprinted.
_SCAN_JS = (
    "([item, at, limit]) => {"
    + FINGERPRINT_LIB_JS
    + """;
  const root = item ? document.querySelectorAll(item)[at] : document;
  if (!root) return [];
  return window.__lbFp.scan(root, item ? root : null, limit);
}"""
)

# Runs inside the page: selectors for a scanned element, and what each matches (scan indices).
_OPTIONS_JS = (
    "([index, item, at, group]) => {"
    + FINGERPRINT_LIB_JS
    + """;
  const root = item ? document.querySelectorAll(item)[at] : document;
  return root ? window.__lbFp.options(index, root, group) : [];
}"""
)

#: Elements of a page scanned for a healing candidate at most (pages here hold a few hundred).
SCAN_LIMIT = 5000
#: An element (not a group) heals only when the runner-up trails the best by at least this much.
AMBIGUITY_MARGIN = 0.01
#: A group's healed selector may match only elements scoring at least the cap minus this.
GROUP_SLACK = 0.1


# Runs in the page: per candidate, 1 when its CSS matches, 0 when it matches nothing, -1 when
# it is no CSS (a Playwright text or :has-text selector, which only Playwright can try). A
# candidate such as ``a.next:has-text('Next')`` comes with its CSS part (``a.next``): when that
# matches nothing, neither can the whole, and Playwright need not be asked.
_PRESENT_JS = """
(pairs) => pairs.map(([s, base]) => {
  try { return document.querySelector(s) ? 1 : 0; } catch (e) { /* not CSS */ }
  if (!base) return -1;
  try { return document.querySelector(base) ? -1 : 0; } catch (e) { return -1; }
})
"""
#: Playwright's own pseudo-classes that only narrow what the CSS before them matches.
_NARROWING = re.compile(r":(?:has-text|text|text-is|text-matches)\((?:'[^']*'|\"[^\"]*\")(?:,\s*'[^']*')?\)|:visible")


def css_part(candidate: str) -> str | None:
    """The CSS a Playwright selector narrows with ``:has-text(...)`` and the like; None when there is none to try."""
    if candidate.startswith(("text=", "role=", "xpath=", "//")) or ">>" in candidate:
        return None
    base = _NARROWING.sub("", candidate).strip()
    return base if base and base != candidate else None


# Runs inside the page: for each overlay-dismissing candidate (CSS), its state (see
# platforms.connectors.web.blocks.OVERLAY_STATE_JS).
_OVERLAY_JS = "(candidates) => candidates.map(" + OVERLAY_STATE_JS.strip() + ")"

#: Overlays dismissed in one go at most (a modal, a banner, and one more that appears after them).
MAX_OVERLAYS = 4


@dataclasses.dataclass
class Extracted:
    """What one group extraction found, and which candidates matched."""

    item: str | None
    rows: list[dict[str, str | None]]
    matched: dict[str, str]
    missing: dict[str, int]
    #: Fingerprints of the first item (``:item``) and of each field's first match, when asked for.
    prints: dict[str, Any] = dataclasses.field(default_factory=dict)


class ElementFinder(GuardedPage):
    """Locate elements and extract groups, recording which candidate matched and which did not.

    With a :class:`~platforms.connectors.healing.LocatorMemory` (``memory``), it also keeps
    a fingerprint of what each locator matched (written only when it changed), tries the
    accepted overrides before the map's candidates, and heals a required locator that
    misses (:meth:`heal`): a read carries on with the healed element, a send raises
    :class:`~platforms.connectors.errors.HealingPending`.
    """

    # --- candidates: accepted overrides and this job's healings first ------------------------

    def candidates(self, key: str, spec: Loc) -> tuple[str, ...]:
        """Return the selectors to try for a locator key: its override, its healing, then the map's."""
        first = [self.overrides[key]] if key in self.overrides else []
        if key in self.healed:
            first.append(self.healed[key].selector)
        return tuple(dict.fromkeys([*first, *spec.candidates]))

    def item_candidates(self, group_name: str) -> list[str]:
        return list(self.candidates(group_name, self.locators.group(group_name).item))

    # --- fingerprints ------------------------------------------------------------------------

    def known_prints(self) -> dict[str, Fingerprint]:
        """The account's stored fingerprints (one read per connector, on first use)."""
        if self._prints is None:
            memory = self.memory
            self._prints = dict(memory.fingerprints(self.platform, self.config.account_id)) if memory else {}
        return self._prints

    def note_print(self, key: str, raw: Any) -> None:
        """Keep what ``key`` matched, if it changed since it was stored; once per job (the first match).

        The first match in a job is the same element job after job (the same page, the
        same first item), so a fingerprint is rewritten only when the site changed it; a
        healed key keeps its old record until a person accepts the healing.
        """
        if self.memory is None or not raw or key in self.healed or key in self._printed:
            return
        self._printed.add(key)
        fingerprint = Fingerprint.from_json(raw)
        known = self.known_prints()
        if key in known and known[key].digest == fingerprint.digest:
            return
        known[key] = fingerprint
        self.memory.remember(self.platform, self.config.account_id, key, fingerprint)

    # --- healing -----------------------------------------------------------------------------

    def heal(
        self, key: str, kind: HealKind, old_candidates: tuple[str, ...], *, item: tuple[str, int] | None = None
    ) -> str | None:
        """Find the element ``key`` matched before, on the page as it is now; return a selector for it, or None.

        The page's elements (or, for a group's field, the item's) are scored against the
        stored fingerprint (:func:`platforms.connectors.healing.score`); the best one at or
        above ``LEASEBOT_HEALING_MIN_SCORE`` is the healed element, unless another element
        scores as well (an element) or no selector picks it out (:func:`choose_selector`).
        A healing is recorded as an event (an open proposal). During a send it is only
        proposed: :class:`HealingPending` is raised and nothing uses it.
        """
        if self.memory is None:
            return None
        old = self.known_prints().get(key)
        if old is None:
            return None
        floor = float(settings.LEASEBOT_HEALING_MIN_SCORE)
        root, at = item if item is not None else (None, 0)
        with self._browser_errors(f"healing {key}"):
            scanned = self.page.evaluate(_SCAN_JS, [root, at, SCAN_LIMIT])
        ranked = rank(old, scanned)
        if not ranked or ranked[0].score < floor:
            logger.info(
                "connector: %s missed and nothing on the page scores %.2f or more (best %.2f)",
                key,
                floor,
                ranked[0].score if ranked else 0.0,
                extra=self._extra(locator=key),
            )
            return None
        best = ranked[0]
        if kind != "group" and len(ranked) > 1 and best.score - ranked[1].score < AMBIGUITY_MARGIN:
            logger.info("connector: %s missed and two elements score alike: not healed", key, extra=self._extra())
            return None
        with self._browser_errors(f"healing {key}"):
            raw_options = self.page.evaluate(_OPTIONS_JS, [best.index, root, at, kind == "group"])
        options = [
            SelectorOption(
                selector=str(o["selector"]), matched=tuple(int(i) for i in o["matched"]), includes=bool(o["includes"])
            )
            for o in raw_options
        ]
        scores = {c.index: c.score for c in ranked}
        selector = choose_selector(kind, best, options, scores, floor - GROUP_SLACK)
        if selector is None:
            logger.info("connector: %s missed; no selector picks out its best match alone", key, extra=self._extra())
            return None
        chosen = next(o for o in options if o.selector == selector)
        runner_up = max((c.score for c in ranked if c.index not in chosen.matched), default=0.0)
        healing = Healing(
            platform=self.platform,
            account_id=self.config.account_id,
            key=key,
            kind=kind,
            old=old_candidates,
            proposed=selector,
            score=best.score,
            evidence={
                "path": self._path_of(self.page.url),
                "before": old.skeleton(),
                "after": best.fingerprint.skeleton(),
                "parts": components(old, best.fingerprint),
                "runner_up": runner_up,
                "matches": len(chosen.matched),
            },
            held=self._holding,
        )
        event_id = self.memory.record_healing(healing)
        if event_id is None:
            return None
        self.healed[key] = Healed(selector=selector, event_id=event_id, score=best.score)
        logger.warning(
            "connector: %s healed as %r (score %.2f)%s",
            key,
            selector,
            best.score,
            ", held for a person (a send)" if self._holding else "",
            extra=self._extra(locator=key, proposal=event_id),
        )
        if self._holding:
            raise HealingPending(
                f"{self.platform}: {key} missed; healed as {selector!r} (score {best.score:.2f}), "
                f"waiting for acceptance of proposal {event_id}",
                **self._extra(locator=key, proposal=event_id, proposed=selector, score=best.score),
            )
        return selector

    def healing_failed(self, locator: str, reason: str) -> list[int]:
        """Mark this job's healings of ``locator``'s group as wrong (what they read failed validation)."""
        group = ".".join(locator.split(".")[:2])
        failed = [h.event_id for key, h in self.healed.items() if key == locator or key.startswith(group)]
        if self.memory is not None:
            for event_id in failed:
                self.memory.healing_failed(event_id, reason)
        return failed

    # --- finding -----------------------------------------------------------------------------

    def find(self, name: str, *, required: bool = True, wait: bool = True) -> Locator | None:
        """Return the first candidate of element ``name`` present on the page (polling briefly)."""
        spec = self.locators.element(name)
        candidates = self.candidates(name, spec)
        deadline = time.monotonic() + (self.locator_wait_s if wait else 0)
        while True:
            candidate = self.first_present(candidates)
            if candidate is not None:
                self.matches[name] = candidate
                self.misses.discard(name)
                return self.page.locator(candidate).first
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        self.misses.add(name)
        if required and spec.required:
            healed = self.heal(name, "element", candidates)
            if healed is not None:
                self.matches[name] = healed
                self.misses.discard(name)
                return self.page.locator(healed).first
            self._save_failure(f"drift-{name}")
            raise self._drift(f"element {name!r} not found", name)
        return None

    def _overlay_candidates(self) -> list[tuple[str, str]]:
        names = [name for name in self.locators.elements if name.startswith("overlay.")]
        return [(name, sel) for name in names for sel in self.candidates(name, self.locators.element(name))]

    def overlay_selectors(self) -> list[str]:
        return [sel for _, sel in self._overlay_candidates()]

    def dismiss_overlays(self, states: list[str] | None = None) -> None:
        """Dismiss what overlays the page (consent banners, interstitial modals), topmost first.

        The map's ``overlay.*`` elements name the controls that dismiss them (CSS candidates;
        none is required). Each round reads every candidate's state in one round trip; a
        control on top gets a real click, and one that something else covers (the overlay
        itself intercepting pointer events) gets its click event dispatched directly. The
        site's own script then stores the dismissal in a cookie, so later pages come clean.
        ``states``: the first round's, read by the page check on arrival.
        """
        candidates = self._overlay_candidates()
        if not candidates:
            return
        selectors = [sel for _, sel in candidates]
        known = states if states is not None and len(states) == len(selectors) else None
        for _ in range(MAX_OVERLAYS):
            if known is not None:
                states, known = known, None  # As the page check read them on arrival: no second look.
            else:
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
        return self._run_extract(group_name, self.item_candidates(group_name), group.fields)

    def extract_fields(self, name: str, fields: Mapping[str, Loc]) -> dict[str, str | None]:
        """Read page-level fields (listing link, renter name)."""
        found = self._run_extract(name, None, fields)
        return found.rows[0] if found.rows else {}

    def _run_extract(self, name: str, items: list[str] | None, fields: Mapping[str, Loc]) -> Extracted:
        specs = {
            k: {"candidates": list(self.candidates(f"{name}.{k}", v)), "attr": v.attr, "text": v.text}
            for k, v in fields.items()
        }
        # Fingerprints ride along with the extraction, the first time the group is read in a job.
        prints = self.memory is not None and name not in self._printed
        with self._browser_errors(f"reading {name}"):
            raw = self.page.evaluate(_EXTRACT_JS, [items, specs, prints])
        found = Extracted(
            item=raw["item"], rows=raw["rows"], matched=raw["matched"], missing=raw["missing"], prints=raw["prints"]
        )
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
        for key, fingerprint in found.prints.items():
            self.note_print(name if key == ":item" else f"{name}.{key}", fingerprint)
        if prints and (found.item or items is None):
            self._printed.add(name)
        for field, spec in fields.items():
            if spec.required and found.missing.get(field):
                key = f"{name}.{field}"
                if items is not None and found.item and key not in self.healed:
                    at = next(i for i, row in enumerate(found.rows) if row.get(field) is None)
                    if self.heal(key, "field", self.candidates(key, spec), item=(found.item, at)) is not None:
                        return self._run_extract(name, items, fields)
                self._save_failure(f"drift-{name}.{field}")
                raise self._drift(f"{found.missing[field]} item(s) lack {name}.{field}", f"{name}.{field}")
        if items is not None and found.item and found.rows and self.healed_in(name):
            # The page changed under this group: an optional field that matched before and now
            # matches in no item is more likely renamed than absent, so it heals too.
            for field, spec in fields.items():
                key = f"{name}.{field}"
                if spec.required or field in found.matched or key in self.healed or key in self._heal_tried:
                    continue
                self._heal_tried.add(key)
                if self.heal(key, "field", self.candidates(key, spec), item=(found.item, 0)) is not None:
                    return self._run_extract(name, items, fields)
        return found

    def healed_in(self, group: str) -> bool:
        """Say whether the group or one of its fields was healed in this job (its result must be validated)."""
        return any(key == group or key.startswith(f"{group}.") for key in self.healed)

    def remember_page(self, kind: str) -> None:
        """Take the fingerprints of the elements found on this page, and of those of its kind a read does not use.

        One round trip per page kind and job: the elements this page matched (the session
        marker, the pager) and the page kind's elements (the reply box and button, which a
        read never touches). One of the latter that misses is healed and so proposed at
        once, so that a person can accept everything a changed page needs before the first
        send waits for it (a read never uses it).
        """
        if self.memory is None:
            return
        wanted = [n for n in self.locators.pages.get(kind, ()) if n in self.locators.elements]
        wanted += [n for n in self.matches if n in self.locators.elements and not n.startswith("overlay.")]
        keys = [n for n in dict.fromkeys(wanted) if n not in self._printed and n not in self._heal_tried]
        if not keys:
            return
        pairs = [[n, list(self.candidates(n, self.locators.element(n)))] for n in keys]
        with self._browser_errors(f"fingerprinting the {kind} page"):
            found = self.page.evaluate(_PRINT_PAGE_JS, pairs)
        for key, selector, raw in found:
            if selector:
                self.matches.setdefault(key, selector)
                self.note_print(key, raw)
                continue
            self._heal_tried.add(key)
            spec = self.locators.element(key)
            if key in self.locators.pages.get(kind, ()) and spec.required and not self._text_only(spec):
                self.heal(key, "element", self.candidates(key, spec))

    @staticmethod
    def _text_only(spec: Loc) -> bool:
        """Whether every candidate is a Playwright text or role selector (not CSS: the page's query cannot try it)."""
        return all(c.startswith(("text=", "role=")) for c in spec.candidates)

    def _heal_group(self, group_name: str) -> bool:
        """Heal a group whose items all missed; return whether it did."""
        if group_name in self.healed:
            return False
        return self.heal(group_name, "group", tuple(self.item_candidates(group_name))) is not None

    def _items_present(self, group_name: str) -> bool:
        return self.first_present(self.item_candidates(group_name)) is not None

    def first_present(self, candidates: Sequence[str]) -> str | None:
        """Return the first candidate present on the page, in the candidates' order (None: none is).

        One round trip tries every CSS candidate in the page; only a candidate that is no CSS
        (Playwright's ``text=`` or ``:has-text``), and comes before any CSS match, is counted by
        Playwright on its own. A page that cannot be read counts as showing none. CSS is tried
        in the page's own document (no shadow roots), as the group extraction reads it.
        """
        page = self.page
        try:
            states = page.evaluate(_PRESENT_JS, [[c, css_part(c)] for c in candidates])
        except PlaywrightError:
            states = [-1] * len(candidates)
        for candidate, state in zip(candidates, states, strict=True):
            if state == 1:
                return candidate
            if state == -1:
                with contextlib.suppress(PlaywrightError):
                    if page.locator(candidate).count() > 0:
                        return candidate
        return None

    def _wait_for_group_or(self, group_name: str, marker: str) -> bool:
        """Wait until the group's items or the marker show; return whether items showed."""
        deadline = time.monotonic() + self.locator_wait_s
        while True:
            if self._items_present(group_name):
                return True
            if self.exists(marker):
                return False
            if time.monotonic() >= deadline:
                if self._heal_group(group_name):
                    return True
                self.misses.update({group_name, marker})
                self.block_or_none()  # A block page served as a normal one is a block, not drift.
                self._save_failure(f"drift-{group_name}")
                raise self._drift(f"neither {group_name} nor {marker} found", group_name)
            time.sleep(0.1)

    def _wait_for_group(self, group_name: str) -> None:
        """Wait until the group's items show; their absence is drift."""
        deadline = time.monotonic() + self.locator_wait_s
        while True:
            if self._items_present(group_name):
                return
            if time.monotonic() >= deadline:
                if self._heal_group(group_name):
                    return
                self.misses.add(group_name)
                self.block_or_none()  # A block page served as a normal one is a block, not drift.
                self._save_failure(f"drift-{group_name}")
                raise self._drift(f"{group_name} not found", group_name)
            time.sleep(0.1)
