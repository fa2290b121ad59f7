"""In real Chromium: the connectors read realistic replicas, and only the tolerant matcher recognises our reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platforms.textmatch import ThreadMessage, Verdict, check_sent, match
from tests.platforms.conftest import PLATFORMS

pytestmark = pytest.mark.browser

REPLY = (
    "Hi Dana, it's free from May 1st -- the Caf\u00e9 is downstairs.\n"
    "Photos: https://www.example.com/listing/42/photos?utm_source=lb\n"
    "\n"
    "\n"
    "Viewings are *really* easy \U0001f600 just reply."
)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_our_reply_on_a_realistic_replica_is_missed_by_exact_text_and_found_by_the_matcher(platform, make_account):
    # given: a realistic replica, a renter's message and our reply in the thread
    acct = make_account(platform)
    acct.client.set_profile(platform, acct.username, "realistic", seed=0)
    start = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    seeded = acct.seed(renter_name="Dana", body="Is it still free?", sent_at=start)
    ours = acct.client.add_outbound(
        platform, acct.username, thread_id=seeded["thread_id"], body=REPLY, sent_at=start + timedelta(minutes=1)
    )

    # when: the connector reads the thread back
    messages = acct.connector.fetch_new_messages(None)

    # then: the reply is there, shown differently from how it was typed
    shown = {m.message_ref: m for m in messages}[str(ours["message_id"])]
    assert shown.direction == "out"
    assert shown.body.split() != REPLY.split()  # What whitespace-folded equality compares: a miss.
    assert match(REPLY, shown.body).full
    thread = [ThreadMessage(m.message_ref, m.body, m.sent_at, m.direction) for m in messages]
    check = check_sent(REPLY, thread, claimed_at=start, outbound_before=0)
    assert check.verdict is Verdict.CONFIRMED, check
    assert check.ref == str(ours["message_id"])
