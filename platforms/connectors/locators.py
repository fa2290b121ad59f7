"""Locators as data: what a connector looks for on a platform's pages, with fallbacks.

Each platform has one :class:`LocatorMap` (``platforms/connectors/<slug>/locators.py``):
its URLs, its single elements (login fields, reply box, markers) and its repeated groups
(inbox rows, thread messages). A DOM change on a platform is a change of that data only.

Candidates are tried in order; the first that matches wins, and which one matched is
recorded, so ``connector_check`` can say "matched by fallback 2" before the primary
candidate silently dies. Element candidates may use any Playwright selector (CSS,
``text=``, ``role=``); group and field candidates are CSS, run inside the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Loc:
    """One element the connector needs, as an ordered list of candidate selectors."""

    candidates: tuple[str, ...]
    #: For fields: read this attribute instead of the text ("href", "data-thread-id", ...).
    attr: str = ""
    #: For fields: "text" (textContent, whitespace collapsed) or "inner" (innerText, line breaks kept).
    text: str = "text"
    #: A missing optional field is None; a missing required one is selector drift.
    required: bool = True

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ValueError("a locator needs at least one candidate")


@dataclasses.dataclass(frozen=True)
class Group:
    """Repeated items (inbox rows, messages) and the fields read from each."""

    item: Loc
    fields: Mapping[str, Loc]


@dataclasses.dataclass(frozen=True)
class LocatorMap:
    """Everything a connector knows about one platform's pages."""

    platform: str
    #: Paths below the account's base URL; ``{thread_ref}`` and ``{page}`` are filled in.
    urls: Mapping[str, str]
    elements: Mapping[str, Loc]
    groups: Mapping[str, Group]
    #: Page kinds and the locators each must show, for ``connector_check --html``.
    pages: Mapping[str, tuple[str, ...]]
    #: Platform facts that are not selectors (id and URL patterns). Dates: platforms/connectors/dates.py.
    facts: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def element(self, name: str) -> Loc:
        return self.elements[name]

    def group(self, name: str) -> Group:
        return self.groups[name]


def loc(*candidates: str, attr: str = "", text: str = "text", required: bool = True) -> Loc:
    """Build a :class:`Loc` from candidates, most specific (or most trusted) first."""
    return Loc(candidates=tuple(candidates), attr=attr, text=text, required=required)
