"""How a replica's pages behave, beyond how they show text: thread paging, session life, slow and partial loads.

Four traits of the realistic profile (declared in :mod:`platforms.sandbox.render`) live here,
so each replica only calls in at a few points and its own markup stays its own:

* ``thread_paging``: a thread page shows its latest ``latest`` messages. Older ones sit behind
  a "Load earlier messages" button (``button``), a sentinel at the top of a scrolling list that
  loads when scrolled into view (``scroll``; as infinite-scroll lists do, it also loads while
  the list does not fill its box), or the thread's next page (``page_link``, ``?page=2``).
  The button and the sentinel run a script that fetches the thread page again with
  ``before=<oldest shown id>&partial=1`` and puts the older items in front: that request is
  a fragment, the items as the page renders them, with the next control.
* ``session_lifetime``: a session dies after ``requests`` requests made with it or
  ``seconds`` after login; a page then goes to the login page, a script's fetch gets 401.
* ``slow_responses``: each response waits a seeded pseudo-random delay of up to ``max_ms``.
* ``deferred_list``: only the first ``shown`` items of a thread's list are in the HTML; the
  rest sit in a ``<template>`` a script moves into the list after ``ms`` milliseconds, the
  list ``aria-busy`` with a "Loading messages" indicator until then (so at
  DOMContentLoaded a reader sees too few). The paging control, first in the list, may be
  among them: the paging script wires it when the list says it is filled in
  (``sandbox:list-filled``).
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence

from platforms.sandbox.render import Profile
from platforms.sandbox.state import Message
from platforms.sandbox.web import Request, Response, esc, page

#: The thread page's query parameters these behaviours use (a replica's thread URL keeps its own).
BEFORE = "before"
PARTIAL = "partial"
PAGE = "page"


@dataclasses.dataclass(frozen=True)
class Window:
    """The part of a thread a page shows, and how to reach the older part."""

    messages: list[Message]
    style: str = ""  # "" (the whole thread), "button", "scroll" or "page_link"
    cursor: int | None = None  # The oldest shown message's id (button, scroll), when older ones exist.
    next_page: int | None = None  # page_link: the page with the older messages, when there is one.
    partial: bool = False  # A script's request for the older part (answer with a fragment).


def thread_window(profile: Profile, messages: Sequence[Message], req: Request) -> Window:
    """Return the messages (oldest first) a thread page shows under the profile, and the way to older ones."""
    ordered = list(messages)
    if not profile.on("thread_paging"):
        return Window(ordered)
    latest = int(profile.knob("thread_paging", "latest"))
    style = str(profile.knob("thread_paging", "style"))
    if style == "page_link":
        raw = req.query.get(PAGE, "1")
        number = int(raw) if raw.isdigit() and int(raw) > 0 else 1
        end = max(0, len(ordered) - (number - 1) * latest)
        start = max(0, end - latest)
        return Window(ordered[start:end], style, next_page=number + 1 if start > 0 else None)
    older = ordered
    before = req.query.get(BEFORE, "")
    if before:
        ids = [m.id for m in ordered]
        older = ordered[: ids.index(int(before))] if before.isdigit() and int(before) in ids else []
    shown = older[-latest:]
    cursor = shown[0].id if len(older) > len(shown) else None
    return Window(shown, style, cursor=cursor, partial=bool(before) and req.query.get(PARTIAL) == "1")


def earlier_control(window: Window, *, tag: str = "div", label: str = "Load earlier messages") -> str:
    """The button or scroll sentinel that loads older messages (first in the list), or "" when none are older.

    ``tag`` is the element the list holds (``li`` in a ``<ul>``). A ``page_link`` control is
    :func:`earlier_link`, placed by the replica where its pager goes.
    """
    if window.cursor is None or window.style not in ("button", "scroll"):
        return ""
    if window.style == "button":
        return (
            f"<{tag} class='load-earlier-wrap'><button type='button' class='load-earlier' data-earlier "
            f"data-before='{window.cursor}'>{esc(label)}</button></{tag}>"
        )
    return (
        f"<{tag} class='load-earlier-sentinel' data-earlier data-before='{window.cursor}' aria-hidden='true'></{tag}>"
    )


def earlier_link(window: Window, href: str, *, label: str = "Earlier messages") -> str:
    """A ``page_link`` window's link to the thread's next (older) page, or ""."""
    if window.style != "page_link" or window.next_page is None:
        return ""
    return f"<a class='earlier-messages' rel='next' href='{href}'>{esc(label)} &raquo;</a>"


def fragment(window: Window, items: Sequence[str], *, tag: str = "div") -> Response | None:
    """The answer to a script's request for older messages: the items and the next control; else None."""
    if not window.partial:
        return None
    control = earlier_control(window, tag=tag)
    return page(f"<!doctype html><html><body><div data-earlier-fragment>{control}{''.join(items)}</div></body></html>")


# The loader behind the button and the sentinel: fetch the older part, put it after the control,
# move the control to the fragment's (or drop it). A 401 is the session gone: show the site's
# log-in pop-up, as SpareRoom's auth pop-up does. ``sandboxHydrate`` renders script-rendered items.
_PAGING_JS = """
<script>
(function () {
  var busy = false;
  function control() { return document.querySelector('[data-earlier]'); }
  function expired() {
    var pop = document.createElement('div');
    pop.className = 'show-user-auth-popup session-expired'; pop.setAttribute('role', 'alertdialog');
    pop.textContent = 'Your session has expired. Please log in again.';
    document.body.appendChild(pop);
  }
  function load() {
    var ctl = control(); if (!ctl || busy) return;
    busy = true; ctl.setAttribute('aria-busy', 'true');
    var url = new URL(location.href); url.hash = '';
    url.searchParams.set('before', ctl.getAttribute('data-before')); url.searchParams.set('partial', '1');
    fetch(url.toString(), {credentials: 'same-origin', headers: {'X-Requested-With': 'XMLHttpRequest'}})
      .then(function (r) {
        if (r.status === 401) { expired(); return null; }
        if (!r.ok) { throw new Error('HTTP ' + r.status); }
        return r.text();
      })
      .then(function (html) {
        if (html === null) { ctl.removeAttribute('aria-busy'); return; }
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var box = doc.querySelector('[data-earlier-fragment]');
        var wrap = ctl.closest('.load-earlier-wrap') || ctl;
        var nodes = Array.prototype.slice.call(box.childNodes).map(function (n) { return document.adoptNode(n); });
        wrap.replaceWith.apply(wrap, nodes);
        if (window.sandboxHydrate) { window.sandboxHydrate(nodes); }
        busy = false; settle();
      })
      .catch(function () {
        busy = false; ctl.removeAttribute('aria-busy');
        var err = document.createElement('div'); err.className = 'load-earlier-error'; err.setAttribute('role', 'alert');
        err.textContent = 'Could not load earlier messages.'; document.body.appendChild(err);
      });
  }
  function settle() {
    var ctl = control(); if (!ctl) return;
    if (ctl.tagName === 'BUTTON') {
      if (!ctl.dataset.wired) { ctl.dataset.wired = '1'; ctl.addEventListener('click', load); }
      return;
    }
    var box = ctl.parentElement;
    if (box.scrollHeight <= box.clientHeight + 40) { load(); return; }
    if (!box.dataset.scrollWatch) {
      box.dataset.scrollWatch = '1';
      box.addEventListener('scroll', function () { if (box.scrollTop < 40) load(); });
    }
    box.scrollTop = box.scrollHeight;
  }
  settle();
  // A deferred list (deferred_list) may hold the control until its script fills the list in.
  document.addEventListener('sandbox:list-filled', settle);
})();
</script>
"""


def paging_script(window: Window) -> str:
    """The script a button or scroll window needs (after the list), or ""."""
    if window.cursor is None or window.style not in ("button", "scroll"):
        return ""
    style = "<style>[data-earlier-list]{max-height:220px;overflow-y:auto}</style>" if window.style == "scroll" else ""
    mark = (
        "<script>(function(){var c=document.querySelector('[data-earlier]');"
        "if(c){c.parentElement.setAttribute('data-earlier-list','');}})();</script>"
        if window.style == "scroll"
        else ""
    )
    return style + mark + _PAGING_JS


def deferred(profile: Profile, items: Sequence[str], *, tag: str = "div", partial: bool = False) -> list[str]:
    """Return the list's items as the page's HTML holds them: all, or (``deferred_list``) the first few,
    the rest in a template, a loading indicator and the script that fills the list in later."""
    if not profile.on("deferred_list") or partial:
        return list(items)
    shown = int(profile.knob("deferred_list", "shown"))
    delay = float(profile.knob("deferred_list", "ms"))
    head, rest = list(items[:shown]), list(items[shown:])
    script = (
        "<script>(function(){var s=document.currentScript,box=s.parentElement;box.setAttribute('aria-busy','true');"
        f"setTimeout(function(){{var t=box.querySelector('template[data-deferred]');"
        "if(t){var nodes=Array.prototype.slice.call(t.content.childNodes);t.replaceWith(t.content);"
        "if(window.sandboxHydrate){window.sandboxHydrate(nodes);}}"
        "var l=box.querySelector('.list-loading');if(l){l.remove();}box.removeAttribute('aria-busy');"
        "document.dispatchEvent(new Event('sandbox:list-filled'));"
        f"}},{json.dumps(delay)});}})();</script>"
    )
    loading = f"<{tag} class='list-loading' role='progressbar' aria-busy='true'>Loading messages\u2026</{tag}>"
    return [*head, f"<template data-deferred>{''.join(rest)}</template>", loading, script]


def response_delay(profile: Profile, platform: str, request_no: int) -> float:
    """Seconds this response waits under ``slow_responses`` (0 without it): seeded by the request's number."""
    if not profile.on("slow_responses"):
        return 0.0
    cap = int(profile.knob("slow_responses", "max_ms"))
    rng = random.Random(f"{platform}:{profile.seed}:{request_no}")
    return rng.randint(0, cap) / 1000.0 if cap > 0 else 0.0


def session_limits(profile: Profile) -> tuple[int, float]:
    """The ``session_lifetime`` limits: requests per session and seconds after login (0: none)."""
    if not profile.on("session_lifetime"):
        return 0, 0.0
    return int(profile.knob("session_lifetime", "requests")), float(profile.knob("session_lifetime", "seconds"))
