"""In real Chromium: the renter's profile id is read into ``sender_handle`` wherever the site shows one."""

from __future__ import annotations

import pytest

from tests.platforms.conftest import PLATFORMS

pytestmark = pytest.mark.browser

#: Whether the platform shows a renter's profile id (docs/platforms.md: Leasebreak and RentHop show none).
SHOWS_PROFILE = {"spareroom": True, "roomies": True, "furnishedfinder": True, "leasebreak": False, "renthop": False}


@pytest.mark.parametrize("profile", ["plain", "realistic"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_renters_profile_id_is_the_same_handle_in_each_of_their_threads(platform, profile, make_account):
    # given: one renter in two threads (two listings), another renter, and our reply in one thread
    acct = make_account(platform)
    if profile == "realistic":
        acct.client.set_profile(platform, acct.username, "realistic", seed=1)
    dana_a = acct.seed(renter_name="Dana", body="Is the room free?", renter_handle="481516", listing_ref="5001")
    dana_b = acct.seed(renter_name="Dana", body="And the studio?", renter_handle="481516", listing_ref="5002")
    lee = acct.seed(renter_name="Lee", body="Hello there", renter_handle="990011", listing_ref="5001")
    acct.client.add_outbound(platform, acct.username, thread_id=dana_a["thread_id"], body="Yes, it is.")

    # when
    messages = acct.connector.fetch_new_messages(None)

    # then: every inbound message carries its renter's id (or none where the site shows none); ours none
    handles = {(m.thread_ref, m.direction): m.sender_handle for m in messages}
    expected = {"481516", "990011"} if SHOWS_PROFILE[platform] else {""}
    assert {h for (_t, d), h in handles.items() if d == "in"} == expected
    if SHOWS_PROFILE[platform]:
        assert handles[(str(dana_a["thread_id"]), "in")] == handles[(str(dana_b["thread_id"]), "in")] == "481516"
        assert handles[(str(lee["thread_id"]), "in")] == "990011"
    assert handles[(str(dana_a["thread_id"]), "out")] == ""
