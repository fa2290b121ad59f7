"""In real Chromium: consent banners and interstitial modals catch clicks until the connector dismisses them, for good."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from platforms.sandbox.replicas.overlays import CONSENT, INTERSTITIALS
from tests.platforms.conftest import PLATFORMS

pytestmark = pytest.mark.browser


def _with_overlays(make_account, platform):
    """A logged-in account whose replica then starts showing its consent banner and modal."""
    acct = make_account(platform)
    seeded = acct.seed(renter_name="Ari", body="Is it free?", listing_ref="42")
    acct.connector.login()
    for trait in ("consent_banner", "interstitial"):
        acct.client.pin_trait(platform, acct.username, trait)
    return acct, acct.connector.url("thread", thread_ref=str(seeded["thread_id"]))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_overlays_catch_the_reply_click_until_dismissed_and_stay_dismissed(platform, make_account):
    # given: the thread page as a browser sees it first, the modal over the banner over the page
    acct, thread_url = _with_overlays(make_account, platform)
    page = acct.connector.page
    page.goto(thread_url)
    modal = next(iter(INTERSTITIALS[platform].values()))
    banner = CONSENT.get(platform)
    submit = acct.connector.require("reply.submit")
    with pytest.raises(PlaywrightTimeoutError):
        submit.click(trial=True, timeout=500)  # The overlay intercepts pointer events (nothing is clicked).

    # when
    acct.connector.dismiss_overlays()

    # then: the page is usable, and the dismissal is stored as the sites store it
    submit.click(trial=True, timeout=2000)
    assert (
        acct.connector.matches["overlay.interstitial"]
        == acct.connector.locators.element("overlay.interstitial").candidates[0]
    )
    cookies = {c["name"] for c in page.context.cookies()}
    assert modal.cookie in cookies
    assert banner is None or banner.cookie in cookies
    page.goto(thread_url)
    assert page.locator(f"#{modal.root_id}").count() == 0
    assert banner is None or page.locator(f"#{banner.root_id}").count() == 0


def test_a_dismiss_control_under_another_layer_is_still_dismissed(make_account):
    # given: the modal's close button itself covered by a layer nothing dismisses (an ad frame, say)
    acct, thread_url = _with_overlays(make_account, "spareroom")
    page = acct.connector.page
    page.goto(thread_url)
    page.evaluate(
        "() => { const d = document.createElement('div'); d.id = 'cover';"
        " d.style.cssText = 'position:fixed;inset:0;z-index:20000'; document.body.appendChild(d); }"
    )
    close = page.locator("#app-download-modal button.modal__close")
    with pytest.raises(PlaywrightTimeoutError):
        close.click(trial=True, timeout=500)

    # when
    acct.connector.dismiss_overlays()

    # then: its click event was dispatched to it, and the page's own script did the rest
    assert page.locator("#app-download-modal").count() == 0
    assert "sr_app_promo_dismissed" in {c["name"] for c in page.context.cookies()}
