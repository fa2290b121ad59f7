"""Locators that heal: remember what each locator matched, and find it again when the locator misses.

The approach is Healenium's (record each element found; when its locator later misses,
score the page's elements against the record, take the best above a cap, report the
healed locator for a person to accept), with one thing lease-bot knows and a test tool
does not: which actions are safe to heal. A *read* may carry on with a healed element,
because what it reads is validated and a wrong value is drift, not data; a *send* never
uses a healed locator that a person has not accepted
(:class:`~platforms.connectors.errors.HealingPending`).

This module is pure: the :class:`Fingerprint` of an element, the :func:`score` that
compares a candidate with it, the choice of a proposed selector, and the
:class:`LocatorMemory` protocol through which a connector reads and writes fingerprints
and healing events without importing a model (``platforms/healing.py`` implements it on
the database). The JavaScript that takes fingerprints in the page is here too, so that
the page and the scorer agree on every field.

A fingerprint holds no renter text: the text of an element is kept only as its *shape*
(:func:`text_shape`: "empty", "number", "date", "label" or "prose"), attribute values only
for a few attributes a site's markup sets (``name``, ``type``, ``role``, ...; links with
their digits masked), and ``data-*`` attributes by name only.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

#: Attributes whose values describe markup, not data, kept in a fingerprint (href/action masked).
STABLE_ATTRS = ("name", "type", "role", "aria-label", "placeholder", "for", "rel", "method", "href", "action")
#: Parents kept in a fingerprint's chain, nearest first.
PARENT_DEPTH = 4

#: How much each part of a fingerprint weighs in :func:`score` (they sum to 1).
WEIGHTS: Mapping[str, float] = {
    "tag": 0.20,  # the element's kind: a textarea stays a textarea through a redesign
    "attrs": 0.15,  # name/type/role/aria-label..., data-* attribute names
    "classes": 0.10,  # class names, compared by their word parts (thread_item ~ thread-item)
    "id": 0.05,
    "text": 0.20,  # the shape of the text (a date stays a date, a body stays prose)
    "position": 0.05,  # index among its siblings
    "parents": 0.25,  # the parent chain, allowed to shift by one level (an element moved one level)
}

#: How alike two text shapes are (unlisted pairs: 0).
_SHAPE_NEAR = {frozenset({"label", "prose"}): 0.5, frozenset({"number", "date"}): 0.3}

HealKind = Literal["element", "group", "field"]


@dataclasses.dataclass(frozen=True)
class Node:
    """One parent in a fingerprint's chain: its tag, id and classes."""

    tag: str
    id: str = ""
    classes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    """What a locator matched last time, without its text (see the module docstring)."""

    tag: str
    id: str = ""
    classes: tuple[str, ...] = ()
    #: Stable attributes and their (masked) values, sorted by name.
    attrs: tuple[tuple[str, str], ...] = ()
    #: Names of its ``data-*`` attributes, sorted.
    data: tuple[str, ...] = ()
    text: str = "empty"
    #: Index among its parent's element children, and how many there are.
    index: int = 0
    siblings: int = 1
    parents: tuple[Node, ...] = ()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Fingerprint:
        """Build a fingerprint from what the page (or the database) gives; unknown keys are ignored."""
        return cls(
            tag=str(raw.get("tag", "")).lower(),
            id=str(raw.get("id") or ""),
            classes=tuple(sorted(str(c) for c in raw.get("classes") or ())),
            attrs=tuple(sorted((str(k), str(v)[:120]) for k, v in dict(raw.get("attrs") or {}).items())),
            data=tuple(sorted(str(d) for d in raw.get("data") or ())),
            text=str(raw.get("text") or "empty"),
            index=int(raw.get("index") or 0),
            siblings=max(1, int(raw.get("siblings") or 1)),
            parents=tuple(
                Node(
                    tag=str(p.get("tag", "")).lower(),
                    id=str(p.get("id") or ""),
                    classes=tuple(sorted(str(c) for c in p.get("classes") or ())),
                )
                for p in list(raw.get("parents") or ())[:PARENT_DEPTH]
            ),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "id": self.id,
            "classes": list(self.classes),
            "attrs": dict(self.attrs),
            "data": list(self.data),
            "text": self.text,
            "index": self.index,
            "siblings": self.siblings,
            "parents": [{"tag": p.tag, "id": p.id, "classes": list(p.classes)} for p in self.parents],
        }

    @property
    def digest(self) -> str:
        """A hash of the fingerprint: an unchanged element is not written again."""
        return hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()

    def skeleton(self) -> str:
        """The element as redacted markup, for a person to see: tags, classes and attribute names, no text."""
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs)
        data = "".join(f" {d}" for d in self.data)
        own = f"<{self.tag}{_id_cls(self.id, self.classes)}{attrs}{data}>[{self.text}]</{self.tag}>"
        chain = " > ".join(f"<{p.tag}{_id_cls(p.id, p.classes)}>" for p in reversed(self.parents))
        return f"{chain} > {own}" if chain else own


def _id_cls(element_id: str, classes: Sequence[str]) -> str:
    text = f' id="{element_id}"' if element_id else ""
    return text + (f' class="{" ".join(classes)}"' if classes else "")


_DATE_WORDS = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|today|yesterday|ago|am|pm|mon|tue|wed|thu|fri|sat|sun)\w*\b"
    r"|\d+\s*[smhdw]\b",
    re.IGNORECASE,
)


def text_shape(text: str) -> str:
    """Return what kind of text an element shows, never the text: empty, number, date, label or prose.

    The same rules run in the page (``_FINGERPRINT_JS``); ``tests/platforms/connectors/test_healing.py``
    holds both to the same table.
    """
    value = " ".join((text or "").split())
    if not value:
        return "empty"
    if value.isdigit():
        return "number"
    if len(value) <= 40 and re.search(r"\d", value) and (re.search(r"[:/]", value) or _DATE_WORDS.search(value)):
        return "date"
    if len(value) <= 30 and len(value.split(" ")) <= 3:
        return "label"
    return "prose"


def _words(names: Iterable[str]) -> set[str]:
    """Split class or id names into lower-case word parts (``thread_item``, ``threadItem`` -> thread, item)."""
    parts: set[str] = set()
    for name in names:
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
        parts.update(p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p and not p.isdigit())
    return parts


def _jaccard(a: set[Any], b: set[Any]) -> float:
    """Similarity of two sets; two empty sets are alike (nothing was there to lose)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    # SequenceMatcher is not symmetric (its junk heuristics): take the better direction.
    return max(difflib.SequenceMatcher(None, a, b).ratio(), difflib.SequenceMatcher(None, b, a).ratio())


def _node_similarity(a: Node, b: Node) -> float:
    """How alike two parents are: the tag most, then their names' word parts."""
    names = _jaccard(_words((a.id, *a.classes)) - {""}, _words((b.id, *b.classes)) - {""})
    return 0.6 * (a.tag == b.tag) + 0.4 * names


def _chain_similarity(a: Sequence[Node], b: Sequence[Node]) -> float:
    """How alike two parent chains are, nearest parent first, allowing a shift of one level either way.

    An element that moved one level (wrapped in a new ``div``, or lifted out of one) keeps
    most of its chain one position off; the shifted comparison costs a little.
    """

    def aligned(x: Sequence[Node], y: Sequence[Node]) -> float:
        if not x and not y:
            return 1.0  # Both at the top (of the page, or of their item).
        n = min(len(x), len(y))
        return sum(_node_similarity(x[i], y[i]) for i in range(n)) / max(len(x), len(y))

    return max(aligned(a, b), 0.9 * aligned(a[1:], b), 0.9 * aligned(a, b[1:]))


def components(old: Fingerprint, new: Fingerprint) -> dict[str, float]:
    """Return each part's similarity in [0, 1] (see :data:`WEIGHTS` for what each part is)."""
    old_attrs = {f"{k}={v}" for k, v in old.attrs} | {f"data:{d}" for d in old.data}
    new_attrs = {f"{k}={v}" for k, v in new.attrs} | {f"data:{d}" for d in new.data}
    # An id on one side only is half a match: many sites add or drop ids in a redesign.
    same_id = _ratio(old.id, new.id) if old.id and new.id else 1.0 if not old.id and not new.id else 0.5
    shapes = frozenset({old.text, new.text})
    return {
        "tag": 1.0 if old.tag == new.tag else 0.0,
        "attrs": _jaccard(old_attrs, new_attrs),
        "classes": _jaccard(_words(old.classes), _words(new.classes)),
        "id": same_id,
        "text": 1.0 if old.text == new.text else _SHAPE_NEAR.get(shapes, 0.0),
        "position": 1.0 / (1 + abs(old.index - new.index)),
        "parents": _chain_similarity(old.parents, new.parents),
    }


def score(old: Fingerprint, new: Fingerprint) -> float:
    """Return how likely ``new`` is the element ``old`` recorded, in [0, 1] (1: identical).

    A weighted sum of per-part similarities (:func:`components`, :data:`WEIGHTS`): tag and
    stable attributes and the parent chain carry most of the weight because a redesign
    that renames classes and ids keeps them; classes and ids count by their word parts,
    so a renamed class that keeps a word still counts a little. The score is symmetric,
    1 for identical fingerprints, and never outside [0, 1].
    """
    parts = components(old, new)
    return round(sum(WEIGHTS[name] * parts[name] for name in WEIGHTS), 6)


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One element of the page, scored against a fingerprint (``index`` is its place in the page's scan)."""

    index: int
    fingerprint: Fingerprint
    score: float


def rank(old: Fingerprint, scanned: Sequence[Mapping[str, Any]]) -> list[Candidate]:
    """Score every scanned element against ``old``, best first (document order breaks ties)."""
    scored = [Candidate(i, fp, score(old, fp)) for i, fp in enumerate(Fingerprint.from_json(r) for r in scanned)]
    return sorted(scored, key=lambda c: (-c.score, c.index))


@dataclasses.dataclass(frozen=True)
class SelectorOption:
    """A selector built for the chosen element, and what it matches in the page (scan indices)."""

    selector: str
    matched: tuple[int, ...]
    includes: bool


def choose_selector(
    kind: HealKind, best: Candidate, options: Sequence[SelectorOption], scores: Mapping[int, float], floor: float
) -> str | None:
    """Pick the selector to propose for the chosen element; None when no option is safe.

    ``options`` come in order of preference (the page builds them: for an element its id,
    then its classes, then its attributes; for a group what every item carries, its data
    attributes and reference, before any class). An element's or a field's selector must
    match that element alone: the first option that does. A group's must match the element
    and only elements that score at least ``floor`` against the fingerprint (its siblings
    of the same kind); of those, the one matching the most such items wins, the earlier
    option on a tie (so a class that marks only the items seen, a direction say, loses to
    the reference attribute every item has).
    """
    usable = [o for o in options if o.includes and o.matched]
    if kind != "group":
        single = [o for o in usable if len(o.matched) == 1]
        return single[0].selector if single else None
    alike = [
        (-len(o.matched), order, o.selector)
        for order, o in enumerate(usable)
        if all(i >= 0 and scores.get(i, 0.0) >= floor for i in o.matched)
    ]
    return min(alike)[2] if alike else None


@dataclasses.dataclass(frozen=True)
class Healing:
    """A locator that missed and the element found in its place: what a healing event records."""

    platform: str
    account_id: int
    key: str
    kind: HealKind
    old: tuple[str, ...]
    proposed: str
    score: float
    #: Redacted: the old and new fingerprints' skeletons, the runner-up's score, the page path.
    evidence: Mapping[str, Any]
    #: Whether the action that healed it was a send (it was held, not used).
    held: bool = False


class LocatorMemory(Protocol):
    """Where a connector keeps fingerprints and reports healings (``platforms/healing.py``: the database)."""

    def fingerprints(self, platform: str, account_id: int) -> Mapping[str, Fingerprint]:
        """Return the account's fingerprints by locator key."""
        ...

    def remember(self, platform: str, account_id: int, key: str, fingerprint: Fingerprint) -> None:
        """Keep a changed fingerprint (callers skip unchanged ones)."""
        ...

    def record_healing(self, healing: Healing) -> int | None:
        """Record a healing event (an open proposal); return its id, or None when a person rejected
        that very proposal or it failed validation before (the miss is drift then)."""
        ...

    def healing_failed(self, event_id: int, reason: str) -> None:
        """Mark a healing wrong: what it read failed validation (it counted as drift)."""
        ...

    def overrides(self, platform: str) -> Mapping[str, str]:
        """Return the platform's accepted locator overrides by key (tried before the code's candidates)."""
        ...


# --- JavaScript: fingerprints taken in the page, with the same rules as above ----------------

#: Defines ``window.__lbFp`` (idempotent): fingerprint, scan and selector options.
FINGERPRINT_LIB_JS = r"""
(() => {
  if (window.__lbFp) return true;
  const STABLE = __STABLE__;
  const DATE = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|today|yesterday|ago|am|pm|mon|tue|wed|thu|fri|sat|sun)\w*\b|\d+\s*[smhdw]\b/i;
  const shape = (raw) => {
    const v = (raw || '').replace(/\s+/g, ' ').trim();
    if (!v) return 'empty';
    if (/^\d+$/.test(v)) return 'number';
    if (v.length <= 40 && /\d/.test(v) && (/[:\/]/.test(v) || DATE.test(v))) return 'date';
    if (v.length <= 30 && v.split(' ').length <= 3) return 'label';
    return 'prose';
  };
  const mask = (url) => { try { const u = new URL(url, location.href);
    return u.pathname.replace(/\d+/g, '9') + (u.search ? '?' + Array.from(new URLSearchParams(u.search).keys()).join('&') : ''); }
    catch (e) { return ''; } };
  const node = (el) => ({tag: el.tagName.toLowerCase(), id: el.id || '', classes: Array.from(el.classList)});
  const fp = (el, stop) => {
    const attrs = {}; const data = [];
    for (const a of Array.from(el.attributes)) {
      if (a.name.startsWith('data-')) data.push(a.name);
      else if (STABLE.includes(a.name)) attrs[a.name] = (a.name === 'href' || a.name === 'action') ? mask(a.value) : a.value.slice(0, 120);
    }
    const parents = []; let p = el.parentElement;
    while (p && p !== stop && parents.length < __DEPTH__ && p !== document.documentElement) { parents.push(node(p)); p = p.parentElement; }
    const sibs = el.parentElement ? Array.from(el.parentElement.children) : [el];
    const text = el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' ? '' : (el.textContent || '');
    return {...node(el), attrs, data, text: shape(text), index: sibs.indexOf(el), siblings: sibs.length, parents};
  };
  const SKIP = new Set(['SCRIPT', 'STYLE', 'HEAD', 'META', 'LINK', 'TITLE', 'NOSCRIPT', 'BR', 'svg', 'path']);
  const scan = (root, stop, limit) => {
    const els = Array.from(root.querySelectorAll('*')).filter((e) => !SKIP.has(e.tagName)).slice(0, limit);
    window.__lbScan = els;
    return els.map((e) => fp(e, stop));
  };
  const q = (s) => "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
  const options = (index, root, group) => {
    const els = window.__lbScan || []; const el = els[index]; if (!el) return [];
    const tag = el.tagName.toLowerCase(); const esc = CSS.escape;
    const volatile = (s) => /(^|[_-])\d+$/.test(s);  // a reference (msg_123), not a name
    const cls = Array.from(el.classList).filter((c) => !volatile(c));
    const byData = Array.from(el.attributes).filter((a) => a.name.startsWith('data-')).map((a) => tag + '[' + a.name + ']');
    const prefix = (el.id.match(/^(.*?[_-])\d+$/) || [])[1];
    const byRef = prefix ? [tag + '[id^=' + q(prefix) + ']'] : [];
    const byAttr = ['name', 'type', 'role', 'aria-label'].filter((a) => el.hasAttribute(a)).map((a) => tag + '[' + a + '=' + q(el.getAttribute(a)) + ']');
    const byId = el.id && !volatile(el.id) ? [tag + '#' + esc(el.id)] : [];
    const byCls = cls.map((c) => tag + '.' + esc(c));
    const byAll = cls.length > 1 ? [tag + cls.map((c) => '.' + esc(c)).join('')] : [];
    // Repeated items are told by what every item carries (its reference), before any class that may
    // mark only some of them (a direction, a state); a single element by what names it alone.
    const own = group ? [...byData, ...byRef, ...byCls, ...byAttr, ...byAll] : [...byId, ...byAll, ...byCls, ...byAttr, ...byData, ...byRef];
    const all = [...own];
    const p = el.parentElement;
    if (p && p !== root && p !== document.documentElement) {
      const pc = Array.from(p.classList).filter((c) => !volatile(c));
      const ps = p.tagName.toLowerCase() + (pc.length ? '.' + esc(pc[0]) : '');
      for (const s of own.slice(0, 4)) all.push(ps + ' > ' + s);
      all.push(ps + ' > ' + tag);
    }
    all.push(tag);
    const seen = new Set();
    return all.filter((s) => !seen.has(s) && seen.add(s)).map((s) => {
      let found = [];
      try { found = Array.from(root.querySelectorAll(s)); } catch (e) { return null; }
      return {selector: s, matched: found.map((f) => els.indexOf(f)), includes: found.includes(el)};
    }).filter((o) => o !== null);
  };
  window.__lbFp = {fp, scan, options};
  return true;
})()
""".replace("__STABLE__", json.dumps(list(STABLE_ATTRS))).replace("__DEPTH__", str(PARENT_DEPTH))
