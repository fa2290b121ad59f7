"""The streaming read: each thread is stored as soon as it is read, and a cut-short read keeps its work.

The connector hands over one thread at a time (``Connector.fetch_threads``); ingest commits
its messages (each with its decision, as before) and extends the account lock while the
browser is still reading. A read that fails midway keeps the threads it stored and leaves the
cursor where it was; a thread whose inbox row is unchanged since it was stored is not opened.
That bookkeeping (``platforms.ThreadPreview``) never stops a read, and it does not grow forever.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dispatch import services
from dispatch.models import DispatchAttempt
from inbox import services as inbox_services
from inbox.models import Decision, Message
from leasebot.core.redis import client as redis_client
from platforms import services as platform_services
from platforms.connectors import errors
from platforms.models import THREAD_PREVIEW_KEEP, PlatformAccount, ThreadPreview
from platforms.selectors import thread_previews
from tests.dispatch.fakes import FakePlatform
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _refs(account: PlatformAccount) -> set[str]:
    return set(Message.objects.filter(conversation__account=account).values_list("platform_message_ref", flat=True))


def test_a_fetch_failing_after_the_second_thread_keeps_both_threads_and_the_cursor(
    fake_platform: FakePlatform,
) -> None:
    # given: an account read once before, and three threads with new messages since
    account = PlatformAccountFactory()
    cursor = timezone.now() - timedelta(hours=2)
    PlatformAccount.objects.filter(pk=account.pk).update(ingest_cursor=cursor)
    now = timezone.now()
    a1 = fake_platform.inbound("a", "Is it free?", at=now - timedelta(minutes=30))
    a2 = fake_platform.inbound("a", "And parking?", at=now - timedelta(minutes=29))
    b1 = fake_platform.inbound("b", "Pets allowed?", at=now - timedelta(minutes=20))
    c1 = fake_platform.inbound("c", "Still available?", at=now - timedelta(minutes=10))
    fake_platform.fail_after_threads = (2, errors.Transient("the site went away"))

    # when: the read fails while opening the third thread
    with pytest.raises(errors.Transient):
        services.ingest_account_run(account_id=account.pk)

    # then: the first two threads' messages are stored and decided, the third is not, the cursor has not moved
    assert _refs(account) == {a1.message_ref, a2.message_ref, b1.message_ref}
    assert Decision.objects.filter(conversation__account=account).count() == 3
    account.refresh_from_db()
    assert account.ingest_cursor == cursor
    failed = DispatchAttempt.objects.get(account=account, stage="ingest", outcome="retry")
    assert failed.detail["threads"] == 2

    # when: the next read completes
    fake_platform.fail_after_threads = None
    summary = services.ingest_account_run(account_id=account.pk)

    # then: only the missing message is new, and the cursor moves to the newest stored
    assert summary.new_inbound == 1
    assert _refs(account) == {a1.message_ref, a2.message_ref, b1.message_ref, c1.message_ref}
    account.refresh_from_db()
    assert account.ingest_cursor == c1.sent_at


def test_a_cut_short_read_never_moves_the_cursor_past_an_unread_thread(fake_platform: FakePlatform) -> None:
    # given: thread y (last activity two hours ago) is read before thread x, whose last activity is
    # recent but which also holds a message from three hours ago; the read fails after y
    account = PlatformAccountFactory()
    now = timezone.now()
    y = fake_platform.inbound("y", "Is it free?", at=now - timedelta(hours=2))
    x_old = fake_platform.inbound("x", "Hello", at=now - timedelta(hours=3))
    x_new = fake_platform.inbound("x", "Hello again", at=now - timedelta(minutes=1))
    fake_platform.fail_after_threads = (1, errors.Transient("timeout"))
    with pytest.raises(errors.Transient):
        services.ingest_account_run(account_id=account.pk)
    assert _refs(account) == {y.message_ref}
    fake_platform.fail_after_threads = None

    # when: a later read completes
    services.ingest_account_run(account_id=account.pk)

    # then: x's older message was not left behind a cursor moved to y's time
    assert _refs(account) == {y.message_ref, x_old.message_ref, x_new.message_ref}


def test_the_account_lock_is_extended_while_the_browser_is_still_reading(
    fake_platform: FakePlatform, settings: Any
) -> None:
    # given: a long lock TTL (its keep-alive thread stays idle) and two threads
    settings.LEASEBOT_ACCOUNT_LOCK_TTL_S = 600
    account = PlatformAccountFactory()
    fake_platform.inbound("a", "Is it free?")
    fake_platform.inbound("b", "Pets allowed?")
    key = f"leasebot:lock:account:{account.pk}"
    redis = redis_client()
    ttl_after: list[int] = []

    def midway(thread_ref: str) -> None:
        # The read is still going on: the lock's TTL was refreshed by the thread just stored.
        ttl_after.append(int(redis.pttl(key)))
        redis.pexpire(key, 5_000)  # Let it run low; the next thread's store must push it out again.

    fake_platform.after_thread = midway

    # when
    services.ingest_account_run(account_id=account.pk)

    # then: after each thread the lock was back to (nearly) its full TTL, though it had been run low
    assert len(ttl_after) == 2
    assert all(ttl > 500_000 for ttl in ttl_after), ttl_after


def test_a_thread_is_not_opened_again_while_its_row_is_unchanged(fake_platform: FakePlatform) -> None:
    # given: two threads whose rows carry a signature, read and stored once
    fake_platform.signs = True
    account = PlatformAccountFactory()
    fake_platform.inbound("a", "Is it free?")
    fake_platform.inbound("b", "Pets allowed?")
    services.ingest_account_run(account_id=account.pk)
    assert dict(ThreadPreview.objects.filter(account=account).values_list("thread_ref", "signature")) == {
        "a": "last:" + Message.objects.get(conversation__thread_ref="a").platform_message_ref,
        "b": "last:" + Message.objects.get(conversation__thread_ref="b").platform_message_ref,
    }

    # when: a new message arrives in one of them, and ingest reads again
    fake_platform.opened.clear()
    new = fake_platform.inbound("b", "Can I see it tomorrow?")
    summary = services.ingest_account_run(account_id=account.pk)

    # then: the kept signatures were handed to the connector, only the changed thread was opened
    assert fake_platform.seen_given[-1].keys() == {"a", "b"}
    assert fake_platform.opened == ["b"]
    assert summary.new_inbound == 1
    assert summary.unchanged == 1
    assert new.message_ref in _refs(account)
    assert ThreadPreview.objects.get(account=account, thread_ref="b").signature == f"last:{new.message_ref}"


def test_a_thread_whose_store_failed_keeps_no_signature(fake_platform: FakePlatform, monkeypatch: Any) -> None:
    # given: the store of the thread's message fails (the database refuses it)
    fake_platform.signs = True
    account = PlatformAccountFactory()
    fake_platform.inbound("a", "Is it free?")

    def refuse(**kwargs: Any) -> Any:
        raise RuntimeError("database refused")

    monkeypatch.setattr(inbox_services, "message_store", refuse)

    # when
    with pytest.raises(RuntimeError):
        services.ingest_account_run(account_id=account.pk)

    # then: no signature was kept, so the next read opens the thread again
    assert not ThreadPreview.objects.filter(account=account).exists()


def test_a_thread_ref_as_long_as_a_conversations_keeps_its_preview(fake_platform: FakePlatform) -> None:
    # given: a thread whose reference is as long as a conversation's may be (200 characters)
    fake_platform.signs = True
    account = PlatformAccountFactory()
    long_ref = "t" * 200
    message = fake_platform.inbound(long_ref, "Is it free?")

    # when
    summary = services.ingest_account_run(account_id=account.pk)

    # then: the message is stored and its row's signature kept
    assert summary.new_inbound == 1
    assert _refs(account) == {message.message_ref}
    assert ThreadPreview.objects.get(account=account).thread_ref == long_ref


def test_a_preview_the_database_refuses_does_not_stop_the_read(
    fake_platform: FakePlatform, monkeypatch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given: two threads, and a database that refuses every preview (a real failed statement)
    fake_platform.signs = True
    account = PlatformAccountFactory()
    a = fake_platform.inbound("a", "Is it free?", at=timezone.now() - timedelta(minutes=2))
    b = fake_platform.inbound("b", "Pets allowed?", at=timezone.now() - timedelta(minutes=1))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    monkeypatch.setattr(ThreadPreview.objects, "bulk_create", refuse)

    # when
    summary = services.ingest_account_run(account_id=account.pk)

    # then: both threads are stored and decided, the cursor moved, the refusal was logged;
    # nothing is kept, so the next read opens both threads again
    assert summary.threads == 2
    assert _refs(account) == {a.message_ref, b.message_ref}
    assert Decision.objects.filter(conversation__account=account).count() == 2
    account.refresh_from_db()
    assert account.ingest_cursor == b.sent_at
    assert not ThreadPreview.objects.filter(account=account).exists()
    assert sum("thread preview not kept" in r.getMessage() for r in caplog.records) == 2


def test_previews_not_recorded_for_weeks_are_pruned_a_bounded_batch_at_a_time(
    fake_platform: FakePlatform, monkeypatch: Any
) -> None:
    # given: an account with three previews recorded long ago and one recorded just now
    account = PlatformAccountFactory()
    other = PlatformAccountFactory()
    for ref in ("old1", "old2", "old3", "fresh"):
        platform_services.thread_preview_record(account_id=account.pk, thread_ref=ref, signature=f"sig-{ref}")
    platform_services.thread_preview_record(account_id=other.pk, thread_ref="old1", signature="sig-old1")
    long_ago = timezone.now() - THREAD_PREVIEW_KEEP - timedelta(hours=1)
    ThreadPreview.objects.filter(thread_ref__startswith="old").update(seen_at=long_ago)
    monkeypatch.setattr(platform_services, "THREAD_PREVIEW_PRUNE_BATCH", 2)

    # then: the expired ones are no longer handed to the connector, even before they are deleted
    assert thread_previews(account_id=account.pk) == {"fresh": "sig-fresh"}

    # when: ingest reads, twice
    services.ingest_account_run(account_id=account.pk)
    left_after_one = set(ThreadPreview.objects.filter(account=account).values_list("thread_ref", flat=True))
    services.ingest_account_run(account_id=account.pk)

    # then: at most two expired previews went per read; the fresh one and the other account's stay
    assert len(left_after_one) == 2
    assert "fresh" in left_after_one
    assert set(ThreadPreview.objects.filter(account=account).values_list("thread_ref", flat=True)) == {"fresh"}
    assert ThreadPreview.objects.filter(account=other).count() == 1
    assert fake_platform.seen_given == [{"fresh": "sig-fresh"}, {"fresh": "sig-fresh"}]
