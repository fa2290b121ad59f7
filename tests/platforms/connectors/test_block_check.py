"""In real Chromium: the check every arriving page gets is cheap, and still tells a block page from drift.

A normal page is judged on its status, URL, title and one count of the vendors' challenge
markup, without reading its HTML (the guard sees none). A page that looks wrong by one of
those is judged on its whole HTML (test_faults.py: captcha and block pages open the circuit);
and a block page served with a 200 and none of that markup, which the cheap check cannot
see, is recognised when the page turns out to lack what the connector came for: ``Blocked``,
not ``SelectorDrift``.
"""

from __future__ import annotations

from typing import Any

import pytest

from platforms.connectors.errors import Blocked
from platforms.guard import Guard
from tests.platforms.conftest import PLATFORMS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("platform", PLATFORMS)
def test_normal_pages_are_checked_without_reading_their_html(
    platform: str, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a logged-in account with two threads
    acct = make_account(platform)
    acct.seed(renter_name="Ari", body="Is it free?")
    acct.seed(renter_name="Kim", body="Pets?")
    acct.connector.login()
    judged: list[tuple[int | None, int]] = []
    real = Guard.inspect

    def spy(self: Guard, **values: Any) -> None:
        judged.append((values["status"], len(values["html"])))
        real(self, **values)

    monkeypatch.setattr(Guard, "inspect", spy)

    # when
    messages = acct.connector.fetch_new_messages(None)

    # then: every page was judged, none by its HTML
    assert len(messages) == 2
    assert len(judged) >= 3  # The inbox and both threads.
    assert all(size == 0 for _, size in judged), judged


def test_a_block_page_served_as_a_normal_page_is_a_block_not_drift(make_account: Any) -> None:
    # given: a logged-in account; then the site answers its inbox with a 200 block page
    # carrying no vendor markup and an ordinary title
    acct = make_account("spareroom")
    acct.seed(renter_name="Ari", body="Is it free?")
    acct.connector.login()
    page = acct.runtime.page("spareroom", acct.config.account_id)
    page.route(
        "**/roommate/mythreads_beta.pl*",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body="<html><head><title>SpareRoom</title></head><body><p>Your IP has been blocked.</p></body></html>",
        ),
    )

    # when / then
    with pytest.raises(Blocked) as caught:
        acct.connector.fetch_new_messages(None)
    assert caught.value.extra["signal"] == "generic"
