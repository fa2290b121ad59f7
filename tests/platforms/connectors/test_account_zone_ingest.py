"""In real Chromium: an account whose user set another zone than the platform's is read in that zone.

The account row carries the zone, ``account_config`` hands it to the connector, the replica
prints the account's pages in it. Ingest must get every message's time exactly and must not
skip a thread whose last message is newer than the cursor; read in the platform's default
zone instead, the same pages give times hours off.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from platforms.browser import BrowserRuntime
from platforms.connectors.base import AccountConfig
from platforms.connectors.dates import TABLES
from platforms.connectors.errors import SelectorDrift
from platforms.connectors.registry import build_connector
from platforms.guard import Guard, reset_account
from platforms.selectors import account_config
from tests.conftest import SandboxLogin

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _fetch(config: AccountConfig, runtime: BrowserRuntime, since: datetime | None) -> list[Any]:
    reset_account(config.account_id)
    connector = build_connector(
        config, runtime=runtime, guard=Guard(account_id=config.account_id, platform=config.platform)
    )
    try:
        return connector.fetch_new_messages(since)
    finally:
        runtime.forget_session(config.platform, config.account_id)
        reset_account(config.account_id)


@pytest.mark.parametrize(
    ("platform", "zone", "trait"),
    [
        # Plain "12 Mar 2026 14:05:09": Pacific time on a site whose default is New York's.
        ("spareroom", "America/Los_Angeles", None),
        # The US site's forms ("Today 3:05 PM GMT", "November 27 2026 9:14 AM", "Today" in the inbox) in London.
        ("spareroom", "Europe/London", "date_formats"),
        # Plain "03/12/2026 01:05:09 PM": London time on a site whose default is Chicago's.
        ("furnishedfinder", "Europe/London", None),
    ],
)
def test_ingest_reads_each_message_at_its_time_in_the_accounts_zone(
    platform: str,
    zone: str,
    trait: str | None,
    sandbox_login: Callable[..., SandboxLogin],
    sandbox_client: Any,
    browser_runtime: BrowserRuntime,
    fast_guard_settings: Any,
) -> None:
    # given: an account whose user set ``zone`` on the site, on both sides, and three threads
    assert zone != TABLES[platform].zone_name
    login = sandbox_login(platform, time_zone=zone)
    row = login.account_row(label=f"zone-{secrets.token_hex(3)}")
    config = account_config(row)
    assert config.time_zone == zone
    if trait:
        sandbox_client.pin_trait(platform, login.username, trait)
    now = datetime.now(tz=UTC).replace(second=0, microsecond=0)
    seeded = {}
    for age in (timedelta(days=3, hours=2), timedelta(hours=5), timedelta(hours=1)):
        answer = sandbox_client.seed_message(
            platform, login.username, renter_name="Dana", body=f"Still free? ({age})", sent_at=now - age
        )
        seeded[str(answer["message_id"])] = now - age

    # when: ingest reads everything, then again from a cursor two hours back
    everything = _fetch(config, browser_runtime, None)
    recent = _fetch(config, browser_runtime, now - timedelta(hours=2))

    # then: every time exact, and the newest thread is not skipped
    assert {m.message_ref: m.sent_at for m in everything} == seeded
    assert [m.message_ref for m in recent] == [ref for ref, at in seeded.items() if at == now - timedelta(hours=1)]

    # and the same pages read in the platform's default zone give other times (or none at all)
    default = dataclasses.replace(config, account_id=config.account_id + 10**9, time_zone="")
    try:
        misread = {m.message_ref: m.sent_at for m in _fetch(default, browser_runtime, None)}
    except SelectorDrift:  # A local time read in the wrong zone may even lie in the future.
        return
    assert misread != seeded
