"""The page-behaviour traits of the replicas over plain HTTP (no browser): thread windows, session life, deferred lists."""

from __future__ import annotations

import re
import secrets
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from platforms.sandbox import behaviour
from platforms.sandbox.render import Profile
from platforms.sandbox.state import Message
from platforms.sandbox.web import Request
from tests.platforms.sandbox.test_sandbox import _get, _opener, _post

START = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)


def _messages(count: int) -> list[Message]:
    return [
        Message(
            id=100 + n, thread_id=1, direction="in", sender_name="R", body=f"m{n}", sent_at=START + timedelta(minutes=n)
        )
        for n in range(count)
    ]


def _request(**query: str) -> Request:
    return Request("GET", "/t", dict(query), {}, b"", {}, {})


def _paging(style: str, latest: int = 3) -> Profile:
    return Profile(name="plain", traits={"thread_paging": {"latest": latest, "style": style}})


def test_without_paging_the_window_is_the_whole_thread():
    window = behaviour.thread_window(Profile(), _messages(7), _request())
    assert [m.id for m in window.messages] == list(range(100, 107))
    assert window.cursor is None
    assert behaviour.earlier_control(window) == ""


@pytest.mark.parametrize("style", ["button", "scroll"])
def test_script_paging_shows_the_latest_and_each_fragment_the_next_older_part(style):
    messages = _messages(7)
    first = behaviour.thread_window(_paging(style), messages, _request())
    assert [m.id for m in first.messages] == [104, 105, 106]
    assert first.cursor == 104
    assert f"data-before='{first.cursor}'" in behaviour.earlier_control(first)

    second = behaviour.thread_window(_paging(style), messages, _request(before="104", partial="1"))
    assert second.partial
    assert [m.id for m in second.messages] == [101, 102, 103]
    fragment = behaviour.fragment(second, ["<p>a</p>"])
    assert fragment is not None
    assert b"data-earlier-fragment" in fragment.body
    assert b"data-before='101'" in fragment.body

    last = behaviour.thread_window(_paging(style), messages, _request(before="101", partial="1"))
    assert [m.id for m in last.messages] == [100]
    assert last.cursor is None
    assert b"data-earlier " not in behaviour.fragment(last, ["<p>a</p>"]).body  # type: ignore[union-attr]

    unknown = behaviour.thread_window(_paging(style), messages, _request(before="999", partial="1"))
    assert unknown.messages == []


def test_link_paging_pages_backwards_from_the_latest():
    messages = _messages(7)
    pages = [behaviour.thread_window(_paging("page_link"), messages, _request(page=str(n))) for n in (1, 2, 3)]
    assert [[m.id for m in p.messages] for p in pages] == [[104, 105, 106], [101, 102, 103], [100]]
    assert [p.next_page for p in pages] == [2, 3, None]
    assert "page=2" in behaviour.earlier_link(pages[0], "/t?page=2")
    assert behaviour.earlier_link(pages[2], "/t?page=4") == ""


def test_deferred_list_holds_back_all_but_the_first_items_until_a_script_adds_them():
    profile = Profile(name="plain", traits={"deferred_list": {"shown": 1, "ms": 250.0}})
    items = ["<li>a</li>", "<li>b</li>", "<li>c</li>"]
    listed = behaviour.deferred(profile, items, tag="li")
    assert listed[0] == "<li>a</li>"
    assert listed[1] == "<template data-deferred><li>b</li><li>c</li></template>"
    assert "aria-busy='true'" in listed[2]
    assert "250.0" in listed[3]
    assert behaviour.deferred(profile, items, partial=True) == items
    assert behaviour.deferred(Profile(), items) == items


def test_slow_responses_are_seeded_and_bounded():
    profile = Profile(name="realistic", seed=3, traits={"slow_responses": {"max_ms": 120}})
    delays = [behaviour.response_delay(profile, "roomies", n) for n in range(50)]
    assert delays == [behaviour.response_delay(profile, "roomies", n) for n in range(50)]
    assert all(0 <= d <= 0.12 for d in delays)
    assert len(set(delays)) > 10
    assert behaviour.response_delay(Profile(), "roomies", 1) == 0.0


def _renthop_login(sandbox, username: str):
    opener = _opener()
    _, _, html = _get(opener, f"{sandbox.url}/renthop/login")
    token = re.search(r"name='_xsrf' value='([^']+)'", html).group(1)  # type: ignore[union-attr]
    status, final_url, _ = _post(
        opener, f"{sandbox.url}/renthop/login", {"username": username, "password": "pw-Sandbox-1", "_xsrf": token}
    )
    assert (status, final_url.endswith("/renthop/dashboard/leads")) == (200, True)
    return opener


def test_session_lifetime_ends_a_session_after_its_requests_and_a_scripts_fetch_gets_401(sandbox, sandbox_client):
    # given: sessions that live three requests (the login's own redirect is the first)
    username = f"lifetime-{secrets.token_hex(6)}@example.com"
    sandbox_client.create_account("renthop", username, "pw-Sandbox-1")
    seeded = sandbox_client.seed_message("renthop", username, renter_name="Zed", body="Hello there")
    sandbox_client.pin_trait("renthop", username, "session_lifetime", requests=3)
    opener = _renthop_login(sandbox, username)
    thread = f"{sandbox.url}/renthop/dashboard/leads/{seeded['thread_id']}"

    # when / then: two more pages, then the login page
    assert _get(opener, thread)[1] == thread
    assert _get(opener, thread)[1] == thread
    status, final_url, _ = _get(opener, thread)
    assert "/renthop/login" in final_url

    # and a script's fetch with a dead session gets 401, not the login page
    opener = _renthop_login(sandbox, username)
    for _ in range(2):
        _get(opener, thread)
    xhr = urllib.request.Request(thread, headers={"X-Requested-With": "XMLHttpRequest"})
    status, _, body = _get(opener, xhr)
    assert status == 401
    assert "Unauthenticated" in body
