"""Page behaviour on both layouts (in-process, no browser): the redesign pages a thread as the classic
page does, a script's fetch gets no overlays, and the behaviour traits leave text and seeded draws alone."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from platforms.sandbox.render import BEHAVIOUR, FURNITURE, Renderer, SiteRendering, build_profile
from platforms.sandbox.replicas import REPLICAS
from platforms.sandbox.replicas.overlays import CONSENT, INTERSTITIALS
from platforms.sandbox.state import Thread
from platforms.sandbox.web import Request
from tests.platforms.sandbox.pages import NOW, PATHS, Site, build_sites, pin_randomness

SLUGS = list(PATHS)
DECLARED = {replica.slug: replica.rendering.realistic for replica in REPLICAS}

_CONTROL = re.compile(r"<(\w+) class='load-earlier-(?:wrap|sentinel)'")
_BEFORE = re.compile(r"data-earlier data-before='(\d+)'")
_LINK = re.compile(r"<a class='earlier-messages' rel='next' href='([^']+)'>")


def _thread(site: Site, count: int) -> tuple[Thread, list[str]]:
    """A thread of ``count`` renter messages, a minute apart, each with a body of its own."""
    thread = site.state.new_thread(site.account, renter_name="Dana O", listing_ref="100001", listing_title="Room")
    bodies = [f"Paged message number {n}" for n in range(count)]
    for n, body in enumerate(bodies):
        site.state.add_message(
            site.account,
            thread,
            direction="in",
            sender_name="Dana O",
            body=body,
            sent_at=NOW - timedelta(hours=3) + timedelta(minutes=n),
        )
    return thread, bodies


def _paged_site(slug: str, variant: str) -> Site:
    """A site showing one message a screen in its own paging style, its list deferred where it defers one."""
    site = build_sites()[slug]
    site.pin("layout", variant=variant)
    site.pin("thread_paging", latest=1)
    if "deferred_list" in DECLARED[slug]:
        site.pin("deferred_list", shown=0)
    return site


def _get(site: Site, path: str, *, scripted: bool = False) -> str:
    headers = {"cookie": site.cookie}
    if scripted:
        headers["x-requested-with"] = "XMLHttpRequest"
    response = site.replica.handle(Request.build("GET", path, headers, b""))
    assert response.status == 200, (site.slug, path, response.status)
    return response.body.decode()


@dataclasses.dataclass(frozen=True)
class Paging:
    """What of the paging a page carries: control (its element), cursor, the older page's link, loader, deferred part."""

    control: tuple[str, ...]
    before: tuple[str, ...]
    link: tuple[str, ...]
    loader: bool
    deferred: int
    loading: int


def _paging_parts(page: str) -> Paging:
    return Paging(
        control=tuple(_CONTROL.findall(page)),
        before=tuple(_BEFORE.findall(page)),
        link=tuple(href.replace("&amp;", "&") for href in _LINK.findall(page)),
        loader="function control() { return document.querySelector('[data-earlier]'); }" in page,
        deferred=page.count("<template data-deferred>"),
        loading=page.count("class='list-loading' role='progressbar' aria-busy='true'"),
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_the_redesigned_thread_carries_the_same_paging_as_the_classic_one(monkeypatch, slug):
    # given: a three-message thread shown one message a screen, on each layout
    pin_randomness(monkeypatch)
    parts = {}
    for variant in ("classic", "redesign"):
        site = _paged_site(slug, variant)
        thread, _bodies = _thread(site, 3)
        parts[variant] = _paging_parts(site.thread_page(thread))

    # then: the same control (bar the element the list holds), cursor, link, loader and deferred part
    classic, redesign = parts["classic"], parts["redesign"]
    if DECLARED[slug]["thread_paging"]["style"][0] == "page_link":
        assert len(classic.link) == 1
        assert "page=2" in classic.link[0]
    else:
        assert len(classic.control) == 1
        assert classic.loader
    assert len(redesign.control) == len(classic.control)
    assert dataclasses.replace(redesign, control=()) == dataclasses.replace(classic, control=())
    assert classic.deferred == classic.loading == (1 if "deferred_list" in DECLARED[slug] else 0)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_older_message_of_a_redesigned_thread_is_reachable(monkeypatch, slug):
    # given: the redesign, one message a screen, three messages
    pin_randomness(monkeypatch)
    site = _paged_site(slug, "redesign")
    thread, bodies = _thread(site, 3)
    path = PATHS[slug][1](thread.id)

    # when: following the page's control to the end, as its script or its link does
    seen: list[str] = []
    page = _get(site, path)
    for _ in range(5):
        seen += [body for body in bodies if body in page and body not in seen]
        before, link = _BEFORE.findall(page), _LINK.findall(page)
        if before:
            page = _get(site, f"{path}{'&' if '?' in path else '?'}before={before[0]}&partial=1", scripted=True)
            assert "data-earlier-fragment" in page
        elif link:
            page = _get(site, link[0].replace("&amp;", "&").split(f"/{slug}", 1)[1])  # The router's own path.
        else:
            break

    # then: every message was on one of the screens
    assert sorted(seen) == sorted(bodies)


@pytest.mark.parametrize("slug", SLUGS)
def test_a_scripts_fetch_of_the_older_part_gets_no_overlays(monkeypatch, slug):
    pin_randomness(monkeypatch)
    site = _paged_site(slug, "redesign")
    site.pin("consent_banner")
    site.pin("interstitial")
    site.pin("thread_paging", latest=1, style="button")
    thread, _bodies = _thread(site, 3)
    path = PATHS[slug][1](thread.id)
    overlays = [o.root_id for o in (CONSENT.get(slug), *INTERSTITIALS.get(slug, {}).values()) if o is not None]

    page = _get(site, path)
    fragment = _get(
        site, f"{path}{'&' if '?' in path else '?'}before={_BEFORE.findall(page)[0]}&partial=1", scripted=True
    )

    assert any(root in page for root in overlays)  # The page carries them...
    assert "data-earlier-fragment" in fragment
    assert not any(root in fragment for root in overlays)  # ...the script's fragment does not.


@pytest.mark.parametrize("replica", REPLICAS, ids=lambda r: r.slug)
def test_page_behaviour_leaves_the_seeded_draws_of_the_other_traits_as_they_were(replica):
    site = replica.rendering
    without = SiteRendering(
        markup=site.markup,
        preview_chars=site.preview_chars,
        realistic={t: k for t, k in site.realistic.items() if t not in BEHAVIOUR},
    )
    assert BEHAVIOUR & set(site.realistic)  # Every replica declares some.
    for seed in range(10):
        with_behaviour = build_profile("realistic", site, platform=replica.slug, seed=seed).traits
        before = build_profile("realistic", without, platform=replica.slug, seed=seed).traits
        assert {t: v for t, v in with_behaviour.items() if t not in BEHAVIOUR} == before


def test_page_behaviour_and_furniture_alone_leave_text_plain():
    site = REPLICAS[0].rendering
    profile = build_profile("realistic", site, platform=REPLICAS[0].slug, seed=0)
    profile.traits = {t: v for t, v in profile.traits.items() if t in BEHAVIOUR | FURNITURE}
    shows = Renderer(site, profile)
    body = 'Line one\r\nLine two -- "quoted"'
    assert shows.text(body, "in") == body  # As plain: not even the CRLF folded.
    profile.traits["curly_quotes"] = {}
    assert Renderer(site, profile).text(body, "in") != body
