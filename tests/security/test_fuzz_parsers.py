"""Property: the connectors' parsers, fed mangled replica HTML or odd values, give a valid result or a typed error.

Two layers, as the connectors have them: the value parsers of each platform
(``platforms/connectors/<slug>/parsing.py``, which ``parse_or_drift`` turns into
``SelectorDrift`` when they raise ``ValueError``, ``KeyError`` or ``TypeError``), and the
page readers (``read_inbox_page``, ``read_thread``) run in real Chromium on the replicas'
own pages after random damage: attributes dropped or rewritten, tags removed, text
injected, pages cut short. A ``ConnectorError`` is a fine answer; anything else is a crash.
"""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from platforms.browser import BrowserRuntime
from platforms.connectors.base import AccountConfig, Inbound
from platforms.connectors.dates import TABLES
from platforms.connectors.errors import ConnectorError
from platforms.connectors.furnishedfinder import parsing as ff
from platforms.connectors.leasebreak import parsing as lb
from platforms.connectors.registry import build_connector
from platforms.connectors.renthop import parsing as rh
from platforms.connectors.roomies import parsing as ro
from platforms.connectors.spareroom import parsing as sr
from platforms.connectors.web import BrowserConnector, ThreadRow
from platforms.guard import Guard
from platforms.sandbox.client import SandboxClient
from tests.conftest import make_sandbox_login

PLATFORMS = ("spareroom", "roomies", "leasebreak", "renthop", "furnishedfinder")
#: What ``BrowserConnector.parse_or_drift`` turns into SelectorDrift.
TYPED = (ValueError, KeyError, TypeError)

ODD = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "",
            "9" * 40,
            "-99999999999999",
            "1e400",
            "msg_",
            "msg_" + "9" * 50,
            "messageItem(",
            "messageItem({})",
            'messageItem({"id": 1, "content": "x", "createdAt": "9999-99-99"})',
            "messageItem(" + "[" * 5000 + "]" * 5000 + ")",
            "messageItem({id: 1, content: 'x', createdAt: '2026-03-12T14:05:09Z',})",
            "messageItem(JSON.parse('{\\u0022id\\u0022:1}'))",
            "messageItem({id: alert(1), content: 'x'})",
            "Today",
            "Yesterday 11:21 PM EST",
            "03/08/2026, 2:30 AM",
            "2h",
            "99999999999999999999 years ago",
            "1773324309",
            "31 Feb 2026 25:61:61",
            "02/30/2026 13:00:00 PM",
            "2026-03-12T14:05:09",
            "\x00",
            "/inbox/",
            "threadId=",
        ]
    ),
)
#: When the date tables are asked: the relative forms resolve against it.
NOW = datetime(2026, 3, 12, 18, 0, tzinfo=UTC)

VALUE_PARSERS: list[tuple[str, Callable[[str], Any]]] = [
    *[(f"{slug}.dates", lambda v, table=table: table.parse(v, now=NOW)) for slug, table in sorted(TABLES.items())],
    ("spareroom.direction", sr.direction),
    ("spareroom.message_ref", sr.message_ref),
    ("spareroom.listing_ref", sr.listing_ref),
    ("roomies.component_data", ro.component_data),
    ("roomies.thread_ref", ro.thread_ref),
    ("roomies.listing_ref", ro.listing_ref),
    ("leasebreak.direction", lb.direction),
    ("leasebreak.listing_ref", lb.listing_ref),
    ("renthop.direction", rh.direction),
    ("renthop.listing_ref", lambda v: rh.listing_ref(None, v)),
    ("furnishedfinder.direction", ff.direction),
    ("furnishedfinder.thread_ref", lambda v: ff.thread_ref(None, v)),
    ("furnishedfinder.listing_ref", ff.listing_ref),
]


@pytest.mark.parametrize(("name", "parser"), VALUE_PARSERS, ids=[n for n, _p in VALUE_PARSERS])
@settings(max_examples=300, deadline=None)
@given(value=ODD)
def test_value_parsers_return_or_raise_a_typed_error(name: str, parser: Callable[[str], Any], value: str) -> None:
    try:
        result = parser(value)
    except TYPED:
        return
    if isinstance(result, datetime):
        assert result.tzinfo is not None, name


# --- page readers on mangled replica pages ---------------------------------------------


@dataclasses.dataclass
class Captured:
    platform: str
    config: AccountConfig
    inbox: str
    thread: str
    thread_ref: str


class _OnePage:
    """A runtime stand-in that hands the connector one given page and keeps nothing."""

    def __init__(self, page: Page) -> None:
        self._page = page

    def page(self, platform: str, account_id: int) -> Page:
        return self._page

    def save_failure(self, *args: Any, **kwargs: Any) -> None:
        return None

    def save_state(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture(scope="module")
def replica_pages(
    sandbox_client: SandboxClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Captured], BrowserRuntime]]:
    """Log into each replica with the real connector once and keep its inbox and thread HTML."""
    import os

    from django.conf import settings as dj

    saved = {
        k: getattr(dj, k, None)
        for k in (
            "LEASEBOT_PACING_MIN_S",
            "LEASEBOT_PACING_MAX_S",
            "LEASEBOT_RATE_PER_MINUTE",
            "LEASEBOT_RATE_BURST",
            "LEASEBOT_LOCATOR_WAIT_S",
        )
    }
    dj.LEASEBOT_PACING_MIN_S = dj.LEASEBOT_PACING_MAX_S = 0
    dj.LEASEBOT_RATE_PER_MINUTE, dj.LEASEBOT_RATE_BURST = 60_000, 1_000
    dj.LEASEBOT_LOCATOR_WAIT_S = 0.2
    client = sandbox_client  # The session's sandbox; the accounts' names are new ones.
    runtime = BrowserRuntime(state_dir=tmp_path_factory.mktemp("fuzz-state"), headless=True)
    captured: dict[str, Captured] = {}
    env_added: list[str] = []
    try:
        for platform in PLATFORMS:
            account_id = secrets.randbelow(10**9) + 10**9
            login = make_sandbox_login(
                client, platform, username=f"fuzz-{account_id}@example.com", tag=str(account_id), env_prefix="FUZZ"
            )
            os.environ.update(login.env)
            env_added.extend(login.env)
            username, config = login.username, login.config(account_id)
            seeded = client.seed_message(
                platform, username, renter_name="Dana <b>Renter</b>", body="Is it free? <i>x</i>"
            )
            client.add_outbound(platform, username, thread_id=seeded["thread_id"], body="Yes, it is.")
            client.seed_message(platform, username, renter_name="Lee", body="Second thread")
            connector = build_connector(config, runtime=runtime, guard=Guard(account_id=account_id, platform=platform))
            assert isinstance(connector, BrowserConnector)
            connector.login()
            connector.goto(connector.url("inbox", page=1))
            inbox = connector.page.content()
            ref = str(seeded["thread_id"])
            connector.goto(connector.url("thread", thread_ref=ref))
            captured[platform] = Captured(platform, config, inbox, connector.page.content(), ref)
        yield captured, runtime
    finally:
        runtime.close()
        for var in env_added:
            os.environ.pop(var, None)
        for key, value in saved.items():
            setattr(dj, key, value)


_ATTR = re.compile(r"""\s[\w:@.-]+=(?:"[^"]*"|'[^']*')""")
_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_TEXT = re.compile(r">([^<]+)<")


def _nth(pattern: re.Pattern[str], text: str, index: int) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[index % len(matches)] if matches else None


MUTATION = st.one_of(
    st.tuples(st.just("drop_attr"), st.integers(min_value=0, max_value=10_000), st.just("")),
    st.tuples(st.just("set_attr"), st.integers(min_value=0, max_value=10_000), ODD),
    st.tuples(st.just("drop_tag"), st.integers(min_value=0, max_value=10_000), st.just("")),
    st.tuples(st.just("set_text"), st.integers(min_value=0, max_value=10_000), ODD),
    st.tuples(
        st.just("insert"), st.integers(min_value=0, max_value=10_000), st.text(alphabet="<>/=\"' abcdiv", max_size=30)
    ),
    st.tuples(st.just("truncate"), st.integers(min_value=0, max_value=10_000), st.just("")),
)


def mangle(page_html: str, mutations: list[tuple[str, int, str]]) -> str:
    """Apply random damage to a page, the way a platform's redesign (or a bad day) might."""
    out = page_html
    for kind, index, value in mutations:
        if kind == "truncate":
            out = out[: int(len(out) * (index % 100) / 100)]
            continue
        if kind == "insert":
            pos = index % (len(out) + 1)
            out = out[:pos] + value + out[pos:]
            continue
        pattern = {"drop_attr": _ATTR, "set_attr": _ATTR, "drop_tag": _TAG, "set_text": _TEXT}[kind]
        found = _nth(pattern, out, index)
        if found is None:
            continue
        if kind == "drop_attr" or kind == "drop_tag":
            out = out[: found.start()] + (" " if kind == "drop_attr" else "") + out[found.end() :]
        elif kind == "set_attr":
            name = found.group(0).split("=", 1)[0]
            out = out[: found.start()] + f'{name}="{html.escape(value, quote=True)}"' + out[found.end() :]
        else:
            out = out[: found.start(1)] + html.escape(value) + out[found.end(1) :]
    return out


def _valid(item: Inbound | ThreadRow) -> None:
    if isinstance(item, ThreadRow):
        assert isinstance(item.thread_ref, str)
        assert item.last_activity is None or item.last_activity.tzinfo is not None
        return
    assert item.direction in ("in", "out")
    assert item.sent_at.tzinfo is not None
    assert item.sent_at.astimezone(UTC).year >= 1970
    assert isinstance(item.message_ref, str)
    assert isinstance(item.body, str)


@pytest.mark.browser
@pytest.mark.parametrize("platform", PLATFORMS)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    inbox_damage=st.lists(MUTATION, min_size=1, max_size=4), thread_damage=st.lists(MUTATION, min_size=1, max_size=4)
)
def test_page_readers_on_mangled_pages_give_a_result_or_a_typed_error(
    replica_pages: tuple[dict[str, Captured], BrowserRuntime],
    platform: str,
    inbox_damage: list[tuple[str, int, str]],
    thread_damage: list[tuple[str, int, str]],
) -> None:
    captured, runtime = replica_pages
    pages = captured[platform]
    page = runtime.page(platform, pages.config.account_id + 1)  # A page of its own, no session.
    connector = build_connector(pages.config, runtime=_OnePage(page), guard=Guard(account_id=0, platform=platform))  # type: ignore[arg-type]
    assert isinstance(connector, BrowserConnector)
    for original, damage, read in (
        (pages.inbox, inbox_damage, lambda: connector.read_inbox_page()[0]),
        (pages.thread, thread_damage, lambda: connector.read_thread(pages.thread_ref)),
    ):
        page.set_content(mangle(original, damage), wait_until="domcontentloaded")
        try:
            items = read()
        except ConnectorError:
            continue
        for item in items:
            _valid(item)


@pytest.mark.browser
@pytest.mark.parametrize("platform", PLATFORMS)
def test_page_readers_on_the_intact_pages_read_the_messages(
    replica_pages: tuple[dict[str, Captured], BrowserRuntime], platform: str
) -> None:
    """The control: undamaged pages parse, so the property above is not vacuous."""
    captured, runtime = replica_pages
    pages = captured[platform]
    page = runtime.page(platform, pages.config.account_id + 1)
    connector = build_connector(pages.config, runtime=_OnePage(page), guard=Guard(account_id=0, platform=platform))  # type: ignore[arg-type]
    assert isinstance(connector, BrowserConnector)
    page.set_content(pages.inbox, wait_until="domcontentloaded")
    rows, _next = connector.read_inbox_page()
    assert pages.thread_ref in {row.thread_ref for row in rows}
    page.set_content(pages.thread, wait_until="domcontentloaded")
    messages = connector.read_thread(pages.thread_ref)
    assert sorted(m.direction for m in messages) == ["in", "out"]
