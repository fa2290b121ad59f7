"""The replicas' date_formats and object_literal traits, and the renter's profile id, page by page (no browser)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from platforms.connectors.dates import TABLES
from platforms.connectors.jsdata import parse_js_data
from platforms.sandbox.state import Thread
from tests.platforms.sandbox.pages import NOW, Site, build_sites, pin_randomness

#: Message ages and what each replica prints for them with date_formats on (NOW is 12 Mar 2026, 18:00 UTC).
AGES = [timedelta(seconds=20), timedelta(hours=2), timedelta(hours=20), timedelta(days=3), timedelta(days=40)]
SHOWN = {
    # NOW is 14:00 EDT on Thursday 12 March: 12:00 two hours back, 18:00 the day before, Monday 9 March, 31 January.
    "spareroom": ["Today", "Today", "Yesterday", "Mar 9 2026", "Jan 31 2026"],
    "roomies": ["just now", "2h", "20h", "3d", "Jan 31"],
    "leasebreak": [
        "less than a minute ago",
        "about 2 hours ago",
        "about 20 hours ago",
        "3 days ago",
        "about 1 month ago",
    ],
    "renthop": ["just now", "2h ago", "20h ago", "Mar 9", "Jan 31"],
    "furnishedfinder": ["12:59 PM", "11:00 AM", "Yesterday", "Monday", "01/31/2026"],
}
_INBOX_TIME = {
    "spareroom": r"<i class='threadDate'>(.*?)</i>",
    "roomies": r"<div class='text-xs text-grey'>(.*?)</div>",
    "leasebreak": r"<td class='updated'><time datetime='[^']*'>(.*?)</time>",
    "renthop": r"<span class='lead-time'>(.*?)</span>",
    "furnishedfinder": r"<span class='OtimeSpan'>(.*?)</span>",
}


def _one_thread(site: Site, age: timedelta, *, handle: str = "") -> Thread:
    thread = site.state.new_thread(
        site.account, renter_name="Dana", listing_ref="100001", listing_title="Room", renter_handle=handle
    )
    site.state.add_message(site.account, thread, direction="in", sender_name="Dana", body="Hi", sent_at=NOW - age)
    return thread


@pytest.mark.parametrize("slug", sorted(SHOWN))
def test_date_formats_prints_each_sites_forms_by_age_and_the_table_reads_them(monkeypatch, slug):
    pin_randomness(monkeypatch)
    shown = []
    for age in AGES:
        site = build_sites()[slug]
        site.pin("date_formats")
        _one_thread(site, age)
        found = re.findall(_INBOX_TIME[slug], site.inbox())
        assert len(found) == 1, slug
        shown.append(html.unescape(found[0]))
        stamp = TABLES[slug].parse(shown[-1], now=NOW)
        assert stamp.covers(NOW - age), (slug, shown[-1])
    assert shown == SHOWN[slug]


def test_date_formats_thread_pages_print_the_sites_message_times(monkeypatch):
    pin_randomness(monkeypatch)
    sites = build_sites()
    for site in sites.values():
        site.pin("date_formats")
    spareroom = sites["spareroom"].thread_page(_one_thread(sites["spareroom"], timedelta(hours=2)))
    assert "<dd class='message_date'>Today 12:00 PM EDT</dd>" in spareroom
    spareroom_old = sites["spareroom"].thread_page(_one_thread(sites["spareroom"], timedelta(days=3)))
    assert "<dd class='message_date'>March 9 2026 2:00 PM</dd>" in spareroom_old
    leasebreak = sites["leasebreak"].thread_page(_one_thread(sites["leasebreak"], timedelta(hours=2)))
    assert "<time datetime='2026-03-12T12:00:00-04:00'>March 12, 2026 12:00</time>" in leasebreak
    furnished = sites["furnishedfinder"].thread_page(_one_thread(sites["furnishedfinder"], timedelta(hours=2)))
    iso = "2026-03-12T16:00:00.000Z"
    assert f"<span class='m-time'><time datetime='{iso}' title='{iso}'>11:00AM</time></span>" in furnished
    _one_thread(sites["renthop"], timedelta(hours=2))
    card_time = re.findall(r"<span class='lead-time'[^>]*>", sites["renthop"].inbox())
    assert card_time == ["<span class='lead-time'>"]  # No epoch on a card: only what it shows.


@pytest.mark.parametrize(
    ("style", "marker"), [("literal", "content: &#x27;"), ("laravel_js", "JSON.parse(&#x27;{\\u0022id\\u0022:")]
)
def test_object_literal_embeds_the_component_data_as_javascript(monkeypatch, style, marker):
    pin_randomness(monkeypatch)
    site = build_sites()["roomies"]
    site.pin("object_literal", style=style)
    page = site.thread_page(_one_thread(site, timedelta(hours=1), handle="481516"))
    assert marker in page
    assert "new Function" in page  # The page's own script evaluates it as Alpine would, not with JSON.parse.
    raw = re.findall(r'x-data="messageItem\((.*?)\)"', page)
    data = parse_js_data(html.unescape(raw[0]))
    assert (data["content"], data["user"]) == ("Hi", {"id": 481516, "name": "Dana"})


#: Where each replica shows a renter's profile id in a thread (None: it shows none).
PROFILE = {
    "spareroom": "<div class='message_in__name'><a class='wanted-ad' href='/spareroom/roommate/flatmate_detail.pl?flatshare_id=481516&flatshare_type=wanted'>Dana</a></div>",
    "roomies": "<a class='renter-profile' href='/roomies/profiles/481516'><span class='font-bold'>Dana</span></a>",
    "furnishedfinder": "<div class='uname'><a href='/furnishedfinder/members/traveler?id=481516'>Dana</a></div>",
    "leasebreak": None,
    "renthop": None,
}


@pytest.mark.parametrize("slug", sorted(PROFILE))
def test_a_renter_with_a_handle_is_shown_as_the_site_shows_a_profile(monkeypatch, slug):
    pin_randomness(monkeypatch)
    site = build_sites()[slug]
    with_handle = site.thread_page(_one_thread(site, timedelta(hours=1), handle="481516"))
    without = site.thread_page(_one_thread(site, timedelta(hours=1)))
    if PROFILE[slug] is None:
        assert "481516" not in with_handle
        return
    assert PROFILE[slug] in with_handle
    assert "481516" not in without
    if slug == "roomies":
        assert "&quot;user&quot;: {&quot;id&quot;: 481516, &quot;name&quot;: &quot;Dana&quot;}" in with_handle


def test_a_handle_must_look_like_a_profile_id(monkeypatch):
    from platforms.sandbox.state import SandboxError

    site = build_sites()["roomies"]
    with pytest.raises(SandboxError):
        site.state.new_thread(
            site.account, renter_name="x", listing_ref="1", listing_title="t", renter_handle="<script>"
        )
