"""How the replicas show message text: the plain profile byte for byte, and each realism trait."""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import secrets
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

from platforms.sandbox.client import SandboxClientError
from platforms.sandbox.render import build_profile, visible_text
from platforms.sandbox.replicas import SpareRoom
from tests.platforms.sandbox.pages import (
    BODY_OUT,
    GOLDEN,
    NOW,
    PATHS,
    bodies,
    build_sites,
    pin_randomness,
    plain_pages,
    previews,
)


def test_plain_profile_pages_match_the_snapshot_byte_for_byte(monkeypatch):
    pin_randomness(monkeypatch)
    pages = plain_pages(build_sites())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(pages, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip("snapshot rewritten")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(pages) == sorted(expected)
    for key, page in pages.items():
        assert page == expected[key], key


# --- the profile as a whole ---------------------------------------------------------------------


def test_a_trait_pinned_then_unpinned_leaves_the_plain_pages(monkeypatch):
    pin_randomness(monkeypatch)
    sites = build_sites()
    for site in sites.values():
        site.pin("curly_quotes")
        site.pin("curly_quotes", on=False)
        site.profile("realistic", seed=3)
        site.profile("plain")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert plain_pages(sites) == expected


def test_the_realistic_profile_changes_every_replica_and_is_seeded(monkeypatch):
    pin_randomness(monkeypatch)
    plain = build_sites()
    realistic = build_sites()
    again = build_sites()
    for slug in PATHS:
        realistic[slug].profile("realistic", seed=11)
        again[slug].profile("realistic", seed=11)
        threads = [site[slug].seed() for site in (plain, realistic, again)]
        shown = [
            bodies(slug, site[slug].thread_page(t)) for site, t in zip((plain, realistic, again), threads, strict=True)
        ]
        assert shown[1] != shown[0], slug
        assert shown[1] == shown[2], slug  # The same seed, the same rendering.
        declared = realistic[slug].replica.rendering.realistic
        assert set(realistic[slug].account.profile.traits) == set(declared)
    seeds = {
        tuple(
            sorted(
                build_profile("realistic", SpareRoom.rendering, platform="spareroom", seed=n)
                .traits["delayed_visibility"]
                .items()
            )
        )
        for n in range(20)
    }
    assert len(seeds) > 1  # The seed does pick among the declared values.


# --- one trait at a time --------------------------------------------------------------------------


def _out_body(site, **seed) -> str:
    """The body of our reply (every reply text here names Sam or Dana; the renter's never does)."""
    thread = site.seed(**seed)
    (body,) = [b for b in bodies(site.slug, site.thread_page(thread)) if "Dana" in b or "Sam" in b]
    return body


def test_curly_quotes(monkeypatch):
    pin_randomness(monkeypatch)
    site = build_sites()["spareroom"]
    assert "it&#x27;s" in _out_body(site)
    assert "&quot;soon&quot;" in _out_body(site)
    site.pin("curly_quotes")
    body = _out_body(site)
    assert "it\u2019s available from May 1st \u2013 rent" in body
    assert "\u201csoon\u201d" in body
    assert "any time\u2026" in body
    assert "&#x27;" not in body
    assert "&quot;" not in body


@pytest.mark.parametrize(
    ("slug", "display", "link_text"),
    [
        ("leasebreak", "as_typed", "https://www.example.com/listing/42/?utm_source=sr"),
        ("furnishedfinder", "no_scheme", "www.example.com/listing/42/?utm_source=sr"),
        ("renthop", "host_path", "www.example.org/tour/"),
        ("spareroom", "short", "www.example.com/listing/\u2026"),
    ],
)
def test_linkify_in_each_display_style(monkeypatch, slug, display, link_text):
    pin_randomness(monkeypatch)
    site = build_sites()[slug]
    assert "<a " not in _out_body(site)
    site.pin("linkify", display=display)
    body = _out_body(site)
    links = dict(re.findall(r"<a href='([^']*)'[^>]*>([^<]*)</a>", body))
    assert links["https://www.example.com/listing/42/?utm_source=sr"]
    assert links["http://www.example.org/tour"]
    assert link_text in links.values()


def test_paragraphs_and_collapsed_blank_lines(monkeypatch):
    pin_randomness(monkeypatch)
    sites = build_sites()
    ff = sites["furnishedfinder"]
    assert "<p>" not in _out_body(ff)
    ff.pin("paragraphs")
    assert _out_body(ff).startswith("<p>Hi Dana")
    assert "</p><p>Call me" in _out_body(ff)
    assert "mo.<br>See" in _out_body(ff)
    renthop = sites["renthop"]
    assert "soon&quot;.\n\n\n\nCall me" in _out_body(renthop)
    renthop.pin("collapse_blank_lines")
    assert "soon&quot;.\n\nCall me" in _out_body(renthop)


@pytest.mark.parametrize(("alt", "expected"), [("emoji", "alt='\U0001f600'"), ("none", "alt=''")])
def test_emoji_images(monkeypatch, alt, expected):
    pin_randomness(monkeypatch)
    site = build_sites()["spareroom"]
    site.pin("emoji_images", alt=alt)
    body = _out_body(site)
    assert "\U0001f600" not in body.replace(expected, "")
    assert f"<img class='emoji' draggable='false' {expected} data-code='1f600' src='data:,'>" in body
    assert "data-code='1f44d-1f3fd'" in body  # A skin tone stays with its emoji: one image.
    assert visible_text(body).startswith("Hi Dana")


def test_entities_left_visible_in_html_and_in_script_text(monkeypatch):
    pin_randomness(monkeypatch)
    sites = build_sites()
    spareroom, roomies = sites["spareroom"], sites["roomies"]
    spareroom.pin("entities")
    assert "it&amp;#x27;s" in _out_body(spareroom)
    assert "it&#x27;s" in visible_text(_out_body(spareroom))
    assert "it's available" in _out_body(roomies)
    roomies.pin("entities")
    assert "it&#x27;s available" in _out_body(roomies)
    assert "&quot;soon&quot;" in _out_body(roomies)


def test_nbsp_after_sentences(monkeypatch):
    pin_randomness(monkeypatch)
    site = build_sites()["leasebreak"]
    site.pin("nbsp")
    body = _out_body(site, body_out="Sam: yes. It is free! Come by? Sure.")
    assert body == "<p>Sam: yes.&nbsp;It is free!&nbsp;Come by?&nbsp;Sure.</p>"


@pytest.mark.parametrize(("form", "shown"), [("NFD", "Cafe\u0301 \ufb01ne"), ("NFKC", "Caf\u00e9 fine")])
def test_unicode_form(monkeypatch, form, shown):
    pin_randomness(monkeypatch)
    site = build_sites()["leasebreak"]
    site.pin("unicode_form", form=form)
    assert _out_body(site, body_out="Sam: Caf\u00e9 \ufb01ne") == f"<p>Sam: {shown}</p>"


def test_markdown_emphasis(monkeypatch):
    pin_randomness(monkeypatch)
    site = build_sites()["furnishedfinder"]
    site.pin("markdown")
    body = _out_body(site, body_out="Sam: it is *really* **free** _now_, snake_case stays")
    assert body == "Sam: it is <em>really</em> <strong>free</strong> <em>now</em>, snake_case stays"


def test_signature_under_our_messages_only(monkeypatch):
    pin_randomness(monkeypatch)
    site = build_sites()["renthop"]
    site.pin("signature", text="--\nSent via RentHop")
    thread = site.seed()
    page = site.thread_page(thread)
    incoming, outgoing = bodies("renthop", page)
    assert outgoing.endswith("Thanks again -- Sam\n\n--\nSent via RentHop")
    assert "Sent via" not in incoming
    assert "Sent via" not in site.inbox()  # A footer of the thread view, not of the preview.


@pytest.mark.parametrize("slug", list(PATHS))
def test_inbox_preview_cut_at_a_word_with_an_ellipsis(monkeypatch, slug):
    pin_randomness(monkeypatch)
    site = build_sites()[slug]
    site.seed()
    limit = site.replica.rendering.preview_chars
    (plain,) = previews(slug, site.inbox())
    assert plain == html.escape(BODY_OUT[:limit])  # Today's hard cut, no marker.
    site.pin("preview")
    (cut,) = previews(slug, site.inbox())
    text = html.unescape(cut)
    assert text.endswith("\u2026")
    assert len(text) <= limit
    assert " ".join(BODY_OUT.split()).startswith(text[:-1])
    assert BODY_OUT[len(text) - 1 : len(text)] in (" ", "\n")  # Cut at a word boundary.
    site.pin("preview", chars=30)
    (short,) = previews(slug, site.inbox())
    assert len(html.unescape(short)) <= 30


def test_delayed_visibility_holds_a_sent_reply_back(monkeypatch):
    pin_randomness(monkeypatch)
    site = build_sites()["spareroom"]
    thread = site.seed()
    site.pin("delayed_visibility", seconds=30)
    status = site.post(f"/roommate/mythreads_beta.pl?thread_id={thread.id}", "message=Saturday+at+11+works.")
    assert status == 303
    assert "Saturday at 11 works." not in site.thread_page(thread)
    (sent,) = [m for m in thread.messages if m.via == "site"][-1:]
    assert sent.visible_at == NOW + timedelta(seconds=30)
    pin_randomness(monkeypatch, NOW + timedelta(seconds=30))
    assert "Saturday at 11 works." in site.thread_page(thread)
    assert "Saturday at 11 works." in site.inbox()


def test_delayed_visibility_overrides_roomies_own_delay(monkeypatch):
    pin_randomness(monkeypatch)
    roomies = build_sites()["roomies"]
    thread = roomies.seed()
    plain = roomies.state.record_reply(roomies.account, thread, "plain", confirmed=True)
    assert plain.visible_at == NOW + timedelta(seconds=roomies.state.config["roomies_reply_delay_s"])
    roomies.pin("delayed_visibility", seconds=12)
    pinned = roomies.state.record_reply(roomies.account, thread, "pinned", confirmed=True)
    assert pinned.visible_at == NOW + timedelta(seconds=12)


# --- through the control API ----------------------------------------------------------------------


@pytest.fixture
def http_account(sandbox_client, request):
    made = []

    def make(platform: str) -> str:
        username = f"render-{len(made)}-{secrets.token_hex(4)}@example.com"
        sandbox_client.create_account(platform, username, "pw-Render-1")
        made.append(username)
        return username

    return make


def test_control_api_sets_pins_and_reports_the_profile(sandbox_client, http_account):
    username = http_account("renthop")
    profile = sandbox_client.profile("renthop", username)
    assert (profile["name"], profile["traits"], profile["pinned"]) == ("plain", {}, [])
    assert profile["declared"]["markup"] == "pre"
    assert "signature" in profile["declared"]["realistic"]

    profile = sandbox_client.set_profile("renthop", username, "realistic", seed=5)
    assert profile["name"] == "realistic"
    assert profile["seed"] == 5
    assert set(profile["traits"]) == set(profile["declared"]["realistic"])
    assert profile["traits"]["signature"] == {"text": "--\nSent via RentHop"}

    profile = sandbox_client.pin_trait("renthop", username, "delayed_visibility", seconds=0.5)
    assert profile["traits"]["delayed_visibility"] == {"seconds": 0.5}
    profile = sandbox_client.pin_trait("renthop", username, "signature", on=False)
    assert "signature" not in profile["traits"]
    assert profile["pinned"] == ["delayed_visibility", "signature"]
    assert sandbox_client.set_profile("renthop", username, "plain")["traits"] == {}
    assert "delayed_visibility" in sandbox_client.traits()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, u: c.set_profile("spareroom", u, "gritty"), "unknown profile"),
        (lambda c, u: c.pin_trait("spareroom", u, "sparkles"), "unknown trait"),
        (lambda c, u: c.pin_trait("spareroom", u, "linkify", display="fancy"), "must be one of"),
        (lambda c, u: c.pin_trait("spareroom", u, "delayed_visibility", seconds=-1), "at least"),
        (lambda c, u: c.pin_trait("spareroom", u, "delayed_visibility", seconds="soon"), "must be a float"),
        (lambda c, u: c.pin_trait("spareroom", u, "preview", colour="red"), "unknown knobs"),
    ],
)
def test_control_api_refuses_unknown_profiles_traits_and_knobs(sandbox_client, http_account, call, message):
    username = http_account("spareroom")
    with pytest.raises(SandboxClientError, match=message):
        call(sandbox_client, username)
    assert sandbox_client.profile("spareroom", username)["traits"] == {}


def test_a_realistic_replica_over_http_shows_what_the_profile_says(sandbox, sandbox_client, http_account):
    username = http_account("renthop")
    sandbox_client.set_profile("renthop", username, "realistic", seed=1)
    seeded = sandbox_client.seed_message("renthop", username, renter_name="Zed", body="Is it free?")
    sandbox_client.add_outbound(
        "renthop", username, thread_id=seeded["thread_id"], body="It's free, see https://example.com/a"
    )
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = opener.open(f"{sandbox.url}/renthop/login").read().decode()
    token = re.search(r"name='_xsrf' value='([^']+)'", login).group(1)
    form = urllib.parse.urlencode({"username": username, "password": "pw-Render-1", "_xsrf": token}).encode()
    opener.open(f"{sandbox.url}/renthop/login", data=form).read()
    page = opener.open(f"{sandbox.url}/renthop/dashboard/leads/{seeded['thread_id']}").read().decode()
    assert "It\u2019s free, see <a href='https://example.com/a'" in page
    assert ">www.example.com/a/</a>" in page
    assert "Sent via RentHop" in page
