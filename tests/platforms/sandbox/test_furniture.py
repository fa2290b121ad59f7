"""Page furniture on the replicas: layout variants, consent banners and interstitial modals (in-process, no browser)."""

from __future__ import annotations

import re

import pytest

from platforms.sandbox.render import FURNITURE, SiteRendering, build_profile
from platforms.sandbox.replicas import REPLICAS
from platforms.sandbox.replicas.overlays import CONSENT, INTERSTITIALS
from platforms.sandbox.web import Request
from tests.platforms.sandbox.pages import PATHS, Site, build_sites, pin_randomness

SLUGS = list(PATHS)


def _pages(site: Site) -> dict[str, str]:
    thread = site.seed()
    return {"inbox": site.inbox(), "thread": site.thread_page(thread)}


def _tokenless(pages: dict[str, str]) -> dict[str, str]:
    return {name: re.sub(r"tok\d{4}|\b[0-9a-f]{8}\b", "TOKEN", page) for name, page in pages.items()}


def _get(site: Site, path: str, extra_cookie: str = "") -> str:
    cookie = f"{site.cookie}; {extra_cookie}" if extra_cookie else site.cookie
    response = site.replica.handle(Request.build("GET", path, {"cookie": cookie}, b""))
    assert response.status == 200
    return response.body.decode()


@pytest.mark.parametrize("slug", SLUGS)
def test_the_redesign_is_another_page_than_the_classic_one_and_than_drift(monkeypatch, slug):
    pin_randomness(monkeypatch)
    classic, redesign, drifted = (build_sites()[slug] for _ in range(3))
    redesign.pin("layout", variant="redesign")
    drifted.pin("layout", variant="redesign")
    drifted.state.set_fault(drifted.account, "drift", count=None)

    shown = {name: _pages(site) for name, site in (("classic", classic), ("redesign", redesign), ("drift", drifted))}

    for page in ("inbox", "thread"):
        assert shown["redesign"][page] != shown["classic"][page], page
        assert shown["redesign"][page] != shown["drift"][page], page  # Drift wins over any layout.
        assert "Dana O" in shown["redesign"][page]  # The renter is still shown.


def test_the_classic_variant_pinned_is_the_plain_page(monkeypatch):
    pin_randomness(monkeypatch)
    plain, pinned = build_sites(), build_sites()
    for slug in SLUGS:
        pinned[slug].pin("layout", variant="classic")
        # The same bytes but for the form tokens, drawn from one counter across both builds.
        assert _tokenless(_pages(pinned[slug])) == _tokenless(_pages(plain[slug])), slug


@pytest.mark.parametrize("slug", SLUGS)
def test_overlays_show_until_their_cookie_is_set(monkeypatch, slug):
    pin_randomness(monkeypatch)
    site = build_sites()[slug]
    inbox = PATHS[slug][0]
    assert "aria-modal='true' data-state" not in _get(site, inbox)
    modal = next(iter(INTERSTITIALS[slug].values()))

    site.pin("interstitial")
    site.pin("consent_banner")
    page = _get(site, inbox)

    assert f"id='{modal.root_id}'" in page
    assert f"document.cookie='{modal.cookie}=1;path=/{slug}" in page
    banner = CONSENT.get(slug)
    if banner is not None:
        assert f"id='{banner.root_id}'" in page
        assert page.index(banner.root_id) < page.index(modal.root_id)  # The modal comes last: it sits on top.
    # Dismissed (the cookie the page's script sets): the page comes clean.
    cookies = "; ".join(f"{o.cookie}=1" for o in (modal, banner) if o is not None)
    clean = _get(site, inbox, cookies)
    assert modal.root_id not in clean
    assert banner is None or banner.root_id not in clean


def test_a_kind_the_site_does_not_show_falls_back_to_its_own(monkeypatch):
    pin_randomness(monkeypatch)
    site = build_sites()["spareroom"]
    site.pin("interstitial", kind="complete_profile")
    assert "id='app-download-modal'" in _get(site, PATHS["spareroom"][0])


@pytest.mark.parametrize("replica", REPLICAS, ids=lambda r: r.slug)
def test_every_realistic_replica_declares_two_layouts_and_an_interstitial(replica):
    declared = replica.rendering.realistic
    assert set(declared["layout"]["variant"]) == {"classic", "redesign"}
    assert "interstitial" in declared
    assert "consent_banner" in declared or replica.slug == "spareroom"  # SpareRoom's banner is on its plain pages.


@pytest.mark.parametrize("replica", REPLICAS, ids=lambda r: r.slug)
def test_furniture_leaves_the_seeded_draws_of_the_other_traits_as_they_were(replica):
    site = replica.rendering
    without = SiteRendering(
        markup=site.markup,
        preview_chars=site.preview_chars,
        realistic={t: k for t, k in site.realistic.items() if t not in FURNITURE},
    )
    for seed in range(10):
        with_furniture = build_profile("realistic", site, platform=replica.slug, seed=seed).traits
        before = build_profile("realistic", without, platform=replica.slug, seed=seed).traits
        assert {t: v for t, v in with_furniture.items() if t not in FURNITURE} == before
    variants = {
        build_profile("realistic", site, platform=replica.slug, seed=seed).traits["layout"]["variant"]
        for seed in range(20)
    }
    assert variants == {"classic", "redesign"}  # The seed picks among the site's layouts.
