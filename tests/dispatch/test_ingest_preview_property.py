"""Property, through the real ingest job (real connector, real Chromium, the replicas): every renter message once.

Hypothesis draws a sequence of renter posts (in a few threads, new or old, often the same
words again) and ingest reads in between. Ingest now skips threads whose inbox row is
unchanged since it stored them, and stops paging at the cursor; whatever the sequence, every
posted message ends up stored exactly once. The platforms differ in what a row shows: the
last message's id (SpareRoom), a time to the second (RentHop, read within that second as
often as not here), relative times on the realistic pages (Roomies).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from dispatch.services import ingest_account_run
from inbox.models import Message
from platforms.browser import BrowserRuntime
from platforms.guard import reset_account
from platforms.models import Platform, PlatformAccount
from platforms.sandbox.client import SandboxClient
from platforms.sandbox.server import SandboxServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "Pw-preview-5521"
_serial = itertools.count()

#: A post: which thread (0-2: the n-th thread posted in, a new one if there are fewer), and the words.
posts = st.tuples(st.just("post"), st.integers(0, 2), st.sampled_from(["Hi", "Is it free?", "Hi"]))
steps = st.lists(st.one_of(posts, st.just(("read", 0, ""))), min_size=1, max_size=7)


@pytest.mark.parametrize(
    ("platform", "profile"), [("spareroom", "plain"), ("renthop", "plain"), ("roomies", "realistic")]
)
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(sequence=steps)
def test_every_posted_message_is_ingested_exactly_once(
    own_sandbox: SandboxServer,
    ingest_runtime: BrowserRuntime,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    profile: str,
    sequence: list[tuple[str, int, str]],
) -> None:
    # given: a new account on the replica, and its row
    monkeypatch.setenv("PREVIEW_PW", PASSWORD)
    note(f"{platform}/{profile}: {sequence}")
    client = SandboxClient(own_sandbox.url)
    username = f"preview-{platform}-{next(_serial)}@example.com"
    client.create_account(platform, username, PASSWORD)
    client.set_profile(platform, username, profile, seed=3)
    account = PlatformAccount.objects.create(
        platform=Platform.objects.get(slug=platform),
        label=username,
        username=username,
        credential_ref="env:PREVIEW_PW",
        base_url=client.base_url(platform),
    )
    reset_account(account.pk)
    threads: list[str] = []
    posted: list[str] = []

    # when: renters post and ingest reads, in the drawn order, then ingest reads once more
    for kind, thread, body in [*sequence, ("read", 0, "")]:
        if kind == "read":
            ingest_account_run(account_id=account.pk)
            continue
        into = threads[thread] if thread < len(threads) else None
        answer = client.seed_message(platform, username, renter_name=f"Renter {thread}", body=body, thread_id=into)
        if into is None:
            threads.append(answer["thread_id"])
        posted.append(str(answer["message_id"]))

    # then: each posted message is stored, once
    stored = list(
        Message.objects.filter(conversation__account=account, direction="in").values_list(
            "platform_message_ref", flat=True
        )
    )
    assert sorted(stored) == sorted(posted)
    ingest_runtime.forget_session(platform, account.pk)
