"""The ingest job: every message stored once, decided once, nothing lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services
from dispatch.models import DispatchAttempt
from inbox import holds
from inbox.choices import ReasonCode
from inbox.models import Conversation, Decision, Message, OutboundMessage
from leasebot.core import metrics
from platforms.connectors import errors
from platforms.models import PlatformAccount
from tests.dispatch.fakes import FakePlatform
from tests.inbox.factories import OutboundFactory
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def test_ingest_stores_each_message_once_across_runs(fake_platform: FakePlatform) -> None:
    account = PlatformAccountFactory()
    fake_platform.inbound("t1", "Hi, is the room still available?")
    fake_platform.inbound("t2", "What is the rent?")
    first = services.ingest_account_run(account_id=account.pk)
    second = services.ingest_account_run(account_id=account.pk)
    assert first.new_inbound == 2
    assert second.new_inbound == 0
    assert Message.objects.filter(conversation__account=account).count() == 2
    assert Conversation.objects.filter(account=account).count() == 2
    assert Decision.objects.filter(conversation__account=account).count() == 2
    assert OutboundMessage.objects.filter(account=account).count() == 2  # One reply per inbound, no more.
    account.refresh_from_db()
    assert account.last_ingest_success_at is not None
    assert account.ingest_cursor is not None
    assert DispatchAttempt.objects.filter(account=account, stage="ingest", outcome="success").count() == 2
    assert metrics.value("leasebot_messages_ingested_total", platform="spareroom") == 2


def test_ingest_reads_from_a_little_before_the_cursor(fake_platform: FakePlatform) -> None:
    account = PlatformAccountFactory()
    services.ingest_account_run(account_id=account.pk)  # Empty inbox: the cursor stays unset.
    fake_platform.inbound("t1", "Hello?", at=timezone.now() - timedelta(minutes=10))
    services.ingest_account_run(account_id=account.pk)
    late = fake_platform.inbound("t1", "Hello again, anyone?", at=timezone.now() - timedelta(minutes=5))
    services.ingest_account_run(account_id=account.pk)
    assert Message.objects.filter(platform_message_ref=late.message_ref).exists()


def test_a_message_shown_late_before_the_cursor_is_stored_while_the_stored_ones_are_skipped(
    fake_platform: FakePlatform,
) -> None:
    # given: a thread read once (two messages stored, the cursor at the newer one)
    account = PlatformAccountFactory()
    now = timezone.now()
    fake_platform.inbound("t1", "Hello?", at=now - timedelta(minutes=10))
    fake_platform.inbound("t1", "Is the room free?", at=now - timedelta(minutes=2))
    assert services.ingest_account_run(account_id=account.pk).new_inbound == 2
    # when: the site shows a message late, dated between the two (before the cursor), and a new one
    late = fake_platform.inbound("t1", "I can move in June.", at=now - timedelta(minutes=5))
    fake_platform.inbound("t1", "Any news?", at=now)
    summary = services.ingest_account_run(account_id=account.pk)
    # then: the stored ones are known and skipped, the late one and the new one are stored and decided
    assert (summary.seen, summary.new_inbound, summary.decided) == (4, 2, 2)
    assert Message.objects.filter(conversation__account=account).count() == 4
    assert Decision.objects.filter(message__platform_message_ref=late.message_ref).exists()


def test_ingest_human_reply_on_platform_silences_the_bot(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory(send_mode="draft_only")
    fake_platform.inbound("t1", "Is the room available?")
    services.ingest_account_run(account_id=account.pk)
    draft = OutboundMessage.objects.get(account=account)
    assert draft.status in {"draft", "pending_review"}
    # An agent answers on the platform itself.
    fake_platform.inbound("t1", "Hi! I'm Sara from the leasing office, yes it is.", direction="out", sender="Sara")
    summary = services.ingest_account_run(account_id=account.pk)
    conversation = Conversation.objects.get(account=account, thread_ref="t1")
    draft.refresh_from_db()
    assert summary.human_replies == 1
    assert conversation.human_required
    # The earlier reason stays first (nothing overwritten); a human reply is added to it.
    assert holds.codes(conversation.human_reasons) == ["unlinked", "human_replied_on_platform"]
    assert draft.status == "cancelled"
    # The renter writes again: the bot stays silent there.
    fake_platform.inbound("t1", "Great, can I see it tomorrow?")
    services.ingest_account_run(account_id=account.pk)
    assert not OutboundMessage.objects.filter(account=account).exclude(status="cancelled").exists()


def test_ingest_own_sent_message_is_not_a_human_reply(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    fake_platform.inbound("t1", "Is the room available?")
    services.ingest_account_run(account_id=account.pk)
    services.send_account_run(account_id=account.pk)
    summary = services.ingest_account_run(account_id=account.pk)
    conversation = Conversation.objects.get(account=account, thread_ref="t1")
    assert summary.human_replies == 0
    assert not holds.has(conversation.human_reasons, ReasonCode.HUMAN_REPLIED)


def test_ingest_reconciles_a_sending_row_it_sees_on_the_platform(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    fake_platform.inbound("t1", "Is the room available?")
    services.ingest_account_run(account_id=account.pk)
    row = OutboundMessage.objects.get(account=account)
    OutboundMessage.objects.filter(pk=row.pk).update(status="sending", sending_started_at=timezone.now())
    fake_platform.inbound("t1", row.body, direction="out")  # The click landed; the commit did not.
    services.ingest_account_run(account_id=account.pk)
    row.refresh_from_db()
    assert row.status == "sent"


class Killed(BaseException):
    """What a SIGKILL looks like to the code that was running: nothing after it runs (no except Exception)."""


def test_a_worker_killed_between_storing_our_reply_and_recognising_it_leaves_it_to_the_next_read(
    fake_platform: FakePlatform, auto_send, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import inbox.services

    account = PlatformAccountFactory()
    fake_platform.inbound("t1", "Is the room available?")
    services.ingest_account_run(account_id=account.pk)
    row = OutboundMessage.objects.get(account=account)
    OutboundMessage.objects.filter(pk=row.pk).update(status="sending", sending_started_at=timezone.now())
    fake_platform.inbound("t1", row.body, direction="out")  # The click landed; the commit did not.
    recognise = inbox.services.outbound_seen

    def killed(**kwargs: object) -> bool:
        raise Killed

    monkeypatch.setattr(inbox.services, "outbound_seen", killed)
    with pytest.raises(Killed):
        services.ingest_account_run(account_id=account.pk)
    # Stored and not recognised would be a person's reply for good: nothing of it is stored.
    assert not Message.objects.filter(conversation__account=account, direction="out").exists()
    monkeypatch.setattr(inbox.services, "outbound_seen", recognise)
    services.ingest_account_run(account_id=account.pk)
    row.refresh_from_db()
    ours = Message.objects.get(conversation__account=account, direction="out")
    assert (row.status, ours.sent_by_bot) == ("sent", True)
    assert not holds.has(Conversation.objects.get(account=account).human_reasons, ReasonCode.HUMAN_REPLIED)


def test_a_worker_killed_while_deciding_leaves_the_message_to_the_next_read(
    fake_platform: FakePlatform, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import inbox.services

    decide = inbox.services.inbound_decide

    def killed(*, message_id: int, stored: object = None) -> None:
        raise Killed

    monkeypatch.setattr(inbox.services, "inbound_decide", killed)
    account = PlatformAccountFactory()
    fake_platform.inbound("t1", "Hello, is the room still free?")
    with pytest.raises(Killed):
        services.ingest_account_run(account_id=account.pk)
    assert not Message.objects.filter(conversation__account=account).exists()
    monkeypatch.setattr(inbox.services, "inbound_decide", decide)
    summary = services.ingest_account_run(account_id=account.pk)
    assert (summary.new_inbound, summary.decided) == (1, 1)
    assert Decision.objects.filter(conversation__account=account).count() == 1


def test_ingest_decision_failure_keeps_message_and_escalates(fake_platform: FakePlatform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import inbox.services

    def broken(*, message_id: int, stored: object = None) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(inbox.services, "inbound_decide", broken)
    account = PlatformAccountFactory()
    fake_platform.inbound("t1", "Hello")
    summary = services.ingest_account_run(account_id=account.pk)
    conversation = Conversation.objects.get(account=account)
    assert summary.decision_failures == 1
    assert Message.objects.filter(conversation=conversation).count() == 1
    assert conversation.human_required
    assert holds.codes(conversation.human_reasons) == ["decision_failed"]


@pytest.mark.parametrize(
    ("error", "disables"),
    [
        (errors.Transient("timeout"), False),
        (errors.SelectorDrift("no rows"), False),
        (errors.CaptchaRequired("captcha"), True),
    ],
)
def test_ingest_errors_are_raised_after_bookkeeping(fake_platform: FakePlatform, error, disables) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    fake_platform.fetch_errors.append(error)
    with pytest.raises(type(error)):
        services.ingest_account_run(account_id=account.pk)
    account.refresh_from_db()
    assert account.ingest_error_count == 1
    assert account.last_error_class == error.error_class
    assert account.is_active is not disables
    attempt = DispatchAttempt.objects.get(account=account, stage="ingest")
    assert attempt.outcome == ("retry" if error.retryable else "fail")


def test_ingest_inactive_account_no_browser(fake_platform: FakePlatform) -> None:
    account = PlatformAccountFactory(is_active=False)
    fake_platform.inbound("t1", "Hello")
    summary = services.ingest_account_run(account_id=account.pk)
    assert summary.skipped == "inactive"
    assert fake_platform.connectors_built == 0


def test_ingest_deadletter_after_budget() -> None:
    account = PlatformAccountFactory()
    services.ingest_deadletter(account_id=account.pk, error=errors.Transient("timeout"), attempts=6)
    from dispatch.models import DeadLetter

    letter = DeadLetter.objects.get(account=account)
    assert (letter.stage, letter.error_class, letter.attempts) == ("ingest", "Transient", 6)


def test_fanout_skips_inactive_and_idle_and_counts(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    active = PlatformAccountFactory()
    busy = PlatformAccountFactory()
    PlatformAccountFactory(is_active=False)
    OutboundFactory(conversation__account=busy, status="queued", queued_at=timezone.now())
    enqueued: list[int] = []
    ingest = services.fanout(platform_slug="spareroom", stage="ingest", enqueue=enqueued.append)
    assert set(ingest.enqueued) == {active.pk, busy.pk}
    assert ingest.skipped_inactive == 1
    send = services.fanout(platform_slug="spareroom", stage="send", enqueue=enqueued.append)
    assert send.enqueued == (busy.pk,)
    assert send.skipped_idle == 1
    assert metrics.value("leasebot_fanout_skipped_total", platform="spareroom", stage="ingest", reason="inactive") == 1
    assert PlatformAccount.objects.count() == 3


def test_the_send_sweep_starts_no_job_for_rows_waiting_behind_their_threads_send(fake_platform: FakePlatform) -> None:
    # given: an account whose only queued reply waits behind its thread's reply still being sent
    waiting = PlatformAccountFactory()
    now = timezone.now()
    first = OutboundFactory(conversation__account=waiting, status="sending", queued_at=now, sending_started_at=now)
    OutboundFactory(conversation=first.conversation, status="queued", queued_at=now)
    # and one whose queued reply is in another thread than its sending one
    other = PlatformAccountFactory()
    OutboundFactory(conversation__account=other, status="sending", queued_at=now, sending_started_at=now)
    OutboundFactory(conversation__account=other, status="queued", queued_at=now)
    # when: the send sweep ticks
    send = services.fanout(platform_slug="spareroom", stage="send", enqueue=lambda account_id: None)
    # then: a job for the account that has something to send now, none for the one that must wait
    assert send.enqueued == (other.pk,)
    assert send.skipped_idle == 1


def test_the_send_sweep_comes_for_a_sending_row_its_job_let_go_once_it_is_due(fake_platform: FakePlatform) -> None:
    # given: three accounts with a row in `sending`: one held by a running job (within its lease),
    # one let go by its job after an unknown outcome and due for a read-back, one let go but not yet due
    now = timezone.now()
    held, due, not_due = PlatformAccountFactory(), PlatformAccountFactory(), PlatformAccountFactory()
    OutboundFactory(conversation__account=held, status="sending", sending_started_at=now)
    OutboundFactory(
        conversation__account=due, status="sending", sending_started_at=now, not_before=now - timedelta(seconds=1)
    )
    OutboundFactory(
        conversation__account=not_due, status="sending", sending_started_at=now, not_before=now + timedelta(minutes=1)
    )
    # when: the send sweep fans out
    send = services.fanout(platform_slug="spareroom", stage="send", enqueue=lambda account_id: None)
    # then: only the account with a row due for its read-back gets a job
    assert send.enqueued == (due.pk,)
