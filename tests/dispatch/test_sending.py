"""The send job: exactly-once effect, policy re-checks, error paths, reconciliation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dispatch import enqueue, services
from dispatch.locks import account_lock
from dispatch.models import DeadLetter, DispatchAttempt
from dispatch.services.sending import reconcile_stale, stale_sending
from inbox import holds
from inbox import services as inbox_services
from inbox.choices import ReasonCode
from inbox.models import Conversation, Message, OutboundMessage
from leasebot.core import metrics
from leasebot.core.exceptions import NotAllowed
from leasebot.core.models import AuditLog
from platforms.connectors import errors
from platforms.models import BotSettings, Platform, PlatformAccount
from tests.dispatch.fakes import FakePlatform
from tests.inbox.factories import ConversationFactory

pytestmark = pytest.mark.django_db

BODY = "Hi Jamie, the room is available from June 1."


def _queued(conversation=None, body=BODY, key=None):  # type: ignore[no-untyped-def]
    conversation = conversation or ConversationFactory()
    row = inbox_services.outbound_create(
        conversation=conversation, body=body, purpose="reply", dispatch_key=key or f"reply:{conversation.pk}"
    )
    assert row.status == "queued"
    return row


def test_send_queued_row_sends_once_and_records_everything(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    summary = services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert summary.sent == 1
    assert row.status == "sent"
    assert row.platform_message_ref
    assert fake_platform.sent == [(row.conversation.thread_ref, BODY)]
    assert Message.objects.filter(conversation=row.conversation, direction="out", sent_by_bot=True).count() == 1
    attempt = DispatchAttempt.objects.get(outbound=row)
    assert (attempt.platform, attempt.stage, attempt.outcome) == ("spareroom", "send", "success")
    assert AuditLog.objects.filter(action="dispatch.send.success", platform="spareroom", stage="send").exists()
    assert metrics.value("leasebot_jobs_total", platform="spareroom", stage="send", outcome="success") == 1
    account = PlatformAccount.objects.get(pk=row.account_id)
    assert account.last_send_success_at is not None


def test_send_twice_in_sequence_sends_once(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    services.send_account_run(account_id=row.account_id)
    services.send_account_run(account_id=row.account_id)
    assert len(fake_platform.sent) == 1


def test_send_held_lock_skips_without_browser(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    with account_lock(row.account_id) as held:
        assert held is not None
        summary = services.send_account_run(account_id=row.account_id)
    assert summary.skipped == "lock_held"
    assert fake_platform.connectors_built == 0


@pytest.mark.django_db(transaction=True)
def test_send_concurrent_jobs_send_once(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    rows = [_queued(key=f"reply:c{i}") for i in range(1)]
    account_id = rows[0].account_id
    more = [_queued(ConversationFactory(account=rows[0].account), key=f"reply:m{i}") for i in range(5)]
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        try:
            # Bypass the Redis lock to prove the database alone guards exactly-once.
            from dispatch.services import sending

            with sending.log_context():
                for _ in range(10):
                    row, _d = sending._claim_next(rows[0].account)
                    if row is None:
                        break
                    sending._send_one(
                        row, row.account, fake_platform.factory(row.account), sending.SendSummary(account_id)
                    )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_bodies = [body for _, body in fake_platform.sent]
    assert len(sent_bodies) == 6
    assert OutboundMessage.objects.filter(pk__in=[r.pk for r in rows + more], status="sent").count() == 6


def test_send_mode_changed_to_draft_only_after_queue_goes_back_to_draft(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    PlatformAccount.objects.filter(pk=row.account_id).update(send_mode="draft_only")
    summary = services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "draft"
    assert "send_mode_changed" in holds.codes(row.hold_reasons)
    assert summary.returned_to_review == 1
    assert fake_platform.sent == []


def test_send_rollback_to_shadow_after_queue_sends_nothing(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    BotSettings.objects.filter(pk=1).update(rollout_stage="shadow")
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "draft"
    assert fake_platform.sent == []


def test_send_human_approved_row_ignores_draft_only(fake_platform: FakePlatform, agent_user) -> None:  # type: ignore[no-untyped-def]
    conv = ConversationFactory()
    row = inbox_services.outbound_create(conversation=conv, body=BODY, purpose="reply", dispatch_key="reply:x")
    assert row.status == "draft"
    inbox_services.outbound_approve(outbound_id=row.pk, actor=agent_user)
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_platform.sent) == 1


@pytest.mark.parametrize("switch", ["platform", "account"])
def test_send_inactive_gets_no_browser_and_rows_return_to_review(
    fake_platform: FakePlatform, auto_send, switch: str
) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    if switch == "platform":
        Platform.objects.filter(slug="spareroom").update(is_active=False)
    else:
        PlatformAccount.objects.filter(pk=row.account_id).update(is_active=False)
    summary = services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert summary.skipped == "inactive"
    assert row.status == "pending_review"
    assert fake_platform.connectors_built == 0
    assert fake_platform.calls == []


def test_send_taken_over_conversation_cancels_bot_reply(fake_platform: FakePlatform, auto_send, agent_user) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    Conversation.objects.filter(pk=row.conversation_id).update(taken_over_by=agent_user)
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "cancelled"
    assert fake_platform.sent == []


def test_send_outcome_unknown_but_recorded_is_reconciled_not_resent(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    fake_platform.record_then_unknown = True
    row = _queued()
    summary = services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
    assert summary.reconciled == 1
    assert len(fake_platform.sent) == 1
    assert DispatchAttempt.objects.filter(outbound=row, outcome="reconciled").exists()


def test_send_outcome_unknown_not_found_is_read_back_once_the_visibility_window_has_passed(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: the click happened, the confirmation failed, and the read-back right after finds nothing
    row = _queued()
    fake_platform.send_errors.append(errors.OutcomeUnknown("confirmation page failed"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        # then: the job lets go of the row, to be read back when a late-shown reply would show
        assert row.status == "sending"
        assert row.not_before == row.clicked_at + timedelta(seconds=settings.LEASEBOT_SEND_VISIBILITY_S)
        assert fake_platform.sent == []
        clock.shift(timedelta(seconds=settings.LEASEBOT_SEND_VISIBILITY_S - 1))
        services.send_account_run(account_id=row.account_id)  # Within the window: not read, not resent.
        assert fake_platform.calls.count("find_sent") == 1
        assert fake_platform.sent == []
        # when: the window has passed, long before the lease would
        clock.move_to(row.not_before)
        services.send_account_run(account_id=row.account_id)  # Read back, not found, requeued, sent.
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_platform.sent) == 1
    assert row.lost_worker_redeliveries == 1
    assert row.not_before is None


def test_a_thread_gets_no_second_send_while_its_first_is_unsettled(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: two replies queued in one thread and one in another thread of the same account
    first = _queued(key="reply:first")
    same_thread = _queued(first.conversation, body="And parking is included.", key="reply:same-thread")
    other_thread = _queued(ConversationFactory(account=first.account), key="reply:other-thread")
    fake_platform.send_errors.append(errors.OutcomeUnknown("confirmation page failed"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        # when: the first send's outcome is open (clicked, not confirmed, nothing read back yet)
        services.send_account_run(account_id=first.account_id)
        first.refresh_from_db()
        same_thread.refresh_from_db()
        other_thread.refresh_from_db()
        # then: the same thread waits (a late-shown first reply would muddle its check); the other goes
        assert (first.status, same_thread.status, other_thread.status) == ("sending", "queued", "sent")
        # and once the first is read back and settled, the thread's replies go in order
        clock.move_to(first.not_before)
        services.send_account_run(account_id=first.account_id)
    assert [body for _, body in fake_platform.sent] == [other_thread.body, first.body, same_thread.body]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_stalled_send_of_a_retried_row_waits_for_its_lease(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    # given: a row that failed once and is due again (its not-before time has passed)
    row = _queued()
    fake_platform.send_errors.append(errors.Transient("502"))
    seen_while_sending: list[bool] = []

    def another_sweep_looks() -> None:
        # A second job reconciling the account while this one is about to click (a paused worker).
        seen_while_sending.append(OutboundMessage.objects.filter(stale_sending(timezone.now()), pk=row.pk).exists())

    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        assert row.status == "failed"
        clock.move_to(row.not_before + timedelta(seconds=1))
        fake_platform.on_send = another_sweep_looks
        services.send_account_run(account_id=row.account_id)
    # then: while it was being sent, the row was not due for a read-back (only its lease makes it so)
    assert seen_while_sending == [False]
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_platform.sent) == 1


def test_a_reply_the_site_shows_late_is_never_called_absent_within_the_visibility_window(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: the click landed, the confirmation failed, and the site shows the reply only later
    settings.LEASEBOT_SEND_VISIBILITY_S_PER_PLATFORM = {"spareroom": 30}
    fake_platform.shows_late = True
    fake_platform.record_then_unknown = True
    row = _queued()
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert (row.status, row.outbound_before) == ("sending", 0)
    assert row.clicked_at is not None
    # when: the lease has passed (a short lease, or a worker restarted at once) but the click is seconds old
    stale = timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 5)
    OutboundMessage.objects.filter(pk=row.pk).update(sending_started_at=stale)
    summary = services.send_account_run(account_id=row.account_id)
    # then: the read-back's "absent" is not believed yet: the row waits, nothing is sent again
    row.refresh_from_db()
    assert (row.status, summary.deferred, summary.requeued) == ("sending", 1, 0)
    assert len(fake_platform.sent) == 1
    # and once the site shows it, the next look confirms it
    fake_platform.reveal()
    summary = services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert (row.status, summary.reconciled) == ("sent", 1)
    assert len(fake_platform.sent) == 1


def test_absent_is_believed_once_the_visibility_window_has_passed(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: a click whose reply never appeared, 31 s ago, on a platform that shows replies within 30 s
    settings.LEASEBOT_SEND_VISIBILITY_S_PER_PLATFORM = {"spareroom": 30}
    row = _queued()
    stale = timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 5)
    OutboundMessage.objects.filter(pk=row.pk).update(
        status="sending",
        sending_started_at=stale,
        attempts=1,
        outbound_before=0,
        clicked_at=timezone.now() - timedelta(seconds=31),
    )
    # when: the send job reconciles it
    summary = services.send_account_run(account_id=row.account_id)
    # then: the click never landed: queued again (its click time cleared) and sent once
    row.refresh_from_db()
    assert (summary.requeued, summary.deferred, row.status) == (1, 0, "sent")
    assert len(fake_platform.sent) == 1


def test_crash_between_click_and_commit_is_reconciled_not_resent(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: a worker claimed the row, clicked send (the platform has it), and died before the commit
    row = _queued()
    fake_platform.inbound(row.conversation.thread_ref, row.body, direction="out", at=timezone.now())
    stale = timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 5)
    OutboundMessage.objects.filter(pk=row.pk).update(status="sending", sending_started_at=stale, attempts=1)
    # when: the next send job runs
    summary = services.send_account_run(account_id=row.account_id)
    # then: reconciled by read-back, never sent again
    row.refresh_from_db()
    assert row.status == "sent"
    assert summary.reconciled == 1
    assert fake_platform.sent == []


def test_worker_lost_too_often_is_dead_lettered(fake_platform: FakePlatform, auto_send, settings) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    stale = timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 5)
    OutboundMessage.objects.filter(pk=row.pk).update(
        status="sending",
        sending_started_at=stale,
        lost_worker_redeliveries=settings.LEASEBOT_MAX_LOST_WORKER_REDELIVERIES,
    )
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "dead"
    assert DeadLetter.objects.get(outbound=row).error_class == "WorkerLost"
    assert fake_platform.sent == []


def test_a_reply_never_shown_after_its_click_too_often_is_dead_lettered_as_such(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: a row its job let go of after a click it could not confirm, the window long past, requeued before
    row = _queued()
    clicked = timezone.now() - timedelta(seconds=settings.LEASEBOT_SEND_VISIBILITY_S + 5)
    OutboundMessage.objects.filter(pk=row.pk).update(
        status="sending",
        sending_started_at=clicked,
        clicked_at=clicked,
        outbound_before=0,
        not_before=clicked + timedelta(seconds=settings.LEASEBOT_SEND_VISIBILITY_S),
        lost_worker_redeliveries=settings.LEASEBOT_MAX_LOST_WORKER_REDELIVERIES,
    )
    # when: the read-back finds nothing once more
    services.send_account_run(account_id=row.account_id)
    # then: a dead letter that says what happened (no worker died), and nothing sent blind
    row.refresh_from_db()
    assert row.status == "dead"
    letter = DeadLetter.objects.get(outbound=row)
    assert (letter.error_class, row.last_error_class) == ("SendNotShown", "SendNotShown")
    assert fake_platform.sent == []


def test_transient_retries_within_budget_then_dead_letters(fake_platform: FakePlatform, auto_send, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_RETRY_BUDGETS = {**settings.LEASEBOT_RETRY_BUDGETS, "Transient": 2}
    row = _queued()
    for _ in range(3):
        fake_platform.send_errors.append(errors.Transient("timeout"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        s1 = services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        assert row.status == "failed"
        assert isinstance(s1.retry_error, errors.Transient)
        clock.move_to(row.not_before)  # Each retry waits for the row's own retry time.
        services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        assert row.status == "failed"
        clock.move_to(row.not_before)
        services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "dead"
    assert row.attempts == 3
    letter = DeadLetter.objects.get(outbound=row)
    assert (letter.platform, letter.stage, letter.error_class, letter.attempts) == ("spareroom", "send", "Transient", 3)
    assert letter.payload["dispatch_key"] == row.dispatch_key
    conv = Conversation.objects.get(pk=row.conversation_id)
    assert conv.human_required
    assert holds.has(conv.human_reasons, ReasonCode.DEAD_LETTER)
    assert list(DispatchAttempt.objects.filter(outbound=row).order_by("pk").values_list("outcome", flat=True)) == [
        "retry",
        "retry",
        "fail",
    ]


def test_transient_then_success_sends_once(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    fake_platform.send_errors.append(errors.Transient("502"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.send_account_run(account_id=row.account_id)
        row.refresh_from_db()
        clock.move_to(row.not_before)
        services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_platform.sent) == 1


@pytest.mark.parametrize(
    ("error", "disables"),
    [
        (errors.Permanent("thread deleted"), False),
        (errors.SelectorDrift("textarea missing"), False),
        (errors.AuthFailed("bad password"), True),
        (errors.CaptchaRequired("captcha"), True),
        (errors.Blocked("block page"), True),
    ],
)
def test_non_retryable_errors_dead_letter_at_once(fake_platform: FakePlatform, auto_send, error, disables) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    fake_platform.send_errors.append(error)
    summary = services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "dead"
    assert summary.retry_error is None
    assert DeadLetter.objects.get(outbound=row).error_class == error.error_class
    account = PlatformAccount.objects.get(pk=row.account_id)
    assert account.is_active is not disables
    if disables:
        assert error.error_class in account.disabled_reason
        assert AuditLog.objects.filter(action="account.disable", object_id=str(account.pk)).exists()
    assert account.send_error_count == 1
    assert account.last_error_class == error.error_class
    assert (
        metrics.value("leasebot_errors_total", platform="spareroom", stage="send", error_class=error.error_class) == 1
    )


def test_deadletter_retry_sends_once_and_cannot_repeat(fake_platform: FakePlatform, auto_send, admin_user) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    fake_platform.send_errors.append(errors.Permanent("rejected"))
    services.send_account_run(account_id=row.account_id)
    letter = DeadLetter.objects.get(outbound=row)
    services.deadletter_retry(deadletter_id=letter.pk, actor=admin_user)
    row.refresh_from_db()
    assert row.status == "queued"
    with pytest.raises(NotAllowed):
        services.deadletter_retry(deadletter_id=letter.pk, actor=admin_user)
    services.send_account_run(account_id=row.account_id)
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_platform.sent) == 1


def test_reconcile_read_back_error_leaves_row_sending(fake_platform: FakePlatform, auto_send, settings) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    stale = timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 5)
    OutboundMessage.objects.filter(pk=row.pk).update(status="sending", sending_started_at=stale)

    class Broken:
        def find_sent(self, *a: object, **kw: object) -> None:
            raise errors.Transient("timeout")

    account = PlatformAccount.objects.select_related("platform").get(pk=row.account_id)
    with pytest.raises(errors.Transient):
        reconcile_stale(account=account, connector_getter=lambda a: Broken(), summary=services.SendSummary(account.pk))  # type: ignore[arg-type, return-value]
    row.refresh_from_db()
    assert row.status == "sending"


@pytest.mark.parametrize("how", ["account", "platform", "bot"])
def test_switching_off_returns_queued_rows_to_review_at_once(
    fake_platform: FakePlatform, auto_send, admin_user, how: str
) -> None:  # type: ignore[no-untyped-def]
    from platforms import services as platform_services

    row = _queued()
    if how == "account":
        platform_services.account_update_policy(account_id=row.account_id, actor=admin_user, is_active=False)
    elif how == "platform":
        platform_services.platform_set_active(platform_id=row.account.platform_id, is_active=False, actor=admin_user)
    else:
        platform_services.account_disable(account_id=row.account_id, reason="Blocked: block page")
    row.refresh_from_db()
    assert row.status == "pending_review"
    assert "account_inactive" in holds.codes(row.hold_reasons)
    assert fake_platform.calls == []


def test_selector_drift_sends_the_accounts_waiting_replies_to_review(fake_platform: FakePlatform, auto_send) -> None:  # type: ignore[no-untyped-def]
    first = _queued()
    second = _queued(ConversationFactory(account=first.account), key="reply:second")
    fake_platform.send_errors.append(errors.SelectorDrift("textarea missing"))
    services.send_account_run(account_id=first.account_id)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "dead"  # The row that met the drift is dead-lettered...
    assert second.status == "pending_review"  # ...the one behind it waits for a person, not a circuit.
    assert PlatformAccount.objects.get(pk=first.account_id).is_active  # Drift does not disable.


def test_a_send_that_meets_a_healed_locator_waits_in_review_naming_the_proposal(
    fake_platform: FakePlatform, auto_send
) -> None:  # type: ignore[no-untyped-def]
    # given: two queued replies; the page's reply box moved, healing found it (proposal 7) but nobody accepted it
    first = _queued()
    second = _queued(ConversationFactory(account=first.account), key="reply:second")
    fake_platform.send_errors.append(
        errors.HealingPending(
            "reply.body healed", proposal=7, locator="reply.body", proposed="textarea.c1a2b3c", score=0.83
        )
    )

    # when
    summary = services.send_account_run(account_id=first.account_id)

    # then: nothing sent; the reply waits for a person with a typed reason naming the proposal, its attempt given back
    first.refresh_from_db()
    assert fake_platform.sent == []
    assert first.status == "pending_review"
    assert first.attempts == 0
    [reason] = [r for r in holds.load(first.hold_reasons) if r.code == ReasonCode.LOCATOR_HEALING]
    assert reason.category == "reply.body"
    assert "proposal 7" in reason.detail
    assert "textarea.c1a2b3c" in reason.detail
    assert summary.returned_to_review == 1
    # The account is not stopped (ingest carries on through the healing); the next reply waits its turn.
    account = PlatformAccount.objects.get(pk=first.account_id)
    assert account.is_active
    assert account.consecutive_failures == 0
    second.refresh_from_db()
    assert second.status == "queued"


def test_a_send_job_yields_after_its_time_budget_and_queues_a_fresh_job(
    fake_platform: FakePlatform, auto_send, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # given: three queued replies on one account, and a send job with no time to spare
    conversation = ConversationFactory()
    rows = [_queued(conversation, body=f"{BODY} ({n})", key=f"budget:{n}") for n in range(3)]
    account_id = conversation.account_id
    queued: list[tuple[int, bool]] = []
    monkeypatch.setattr(enqueue, "send", lambda pk, behind_reads=False: queued.append((pk, behind_reads)))
    # when: the job runs with a zero budget
    summary = services.send_account_run(account_id=account_id, budget_s=0)
    # then: it sent one, stopped, and asked for a fresh job behind the waiting reads (nothing lost, nothing twice)
    assert (summary.sent, summary.yielded, queued) == (1, True, [(account_id, True)])
    assert OutboundMessage.objects.filter(account_id=account_id, status="queued").count() == 2
    # and the fresh job carries on where it stopped
    services.send_account_run(account_id=account_id, budget_s=0)
    services.send_account_run(account_id=account_id, budget_s=0)
    assert sorted(body for _, body in fake_platform.sent) == sorted(r.body for r in rows)


def test_the_ledger_books_skipped_jobs_and_blocked_rows_where_they_happen(
    fake_platform: FakePlatform, auto_send
) -> None:  # type: ignore[no-untyped-def]
    # given: a queued reply, and another job holding the account
    row = _queued()
    with account_lock(row.account_id) as held:
        assert held is not None
        # when: a send job runs while the lock is held
        assert services.send_account_run(account_id=row.account_id).skipped == "lock_held"
    # then: a skipped attempt with its reason, against no row
    skipped = DispatchAttempt.objects.get(account_id=row.account_id, outcome="skipped")
    assert (skipped.stage, skipped.outbound_id, skipped.detail) == ("send", None, {"reason": "lock_held"})
    # when: the reply's text now trips a guardrail (rules changed after queueing) and the job runs
    OutboundMessage.objects.filter(pk=row.pk).update(body="Send the deposit by wire transfer today.")
    services.send_account_run(account_id=row.account_id)
    # then: the row is blocked at claim time, booked as such against the row, and nothing is sent
    row.refresh_from_db()
    assert row.status == "blocked"
    blocked = DispatchAttempt.objects.get(outbound=row, outcome="blocked")
    assert blocked.detail == {"now": "blocked", "reason": "guardrail", "category": "off_platform_payment"}
    assert fake_platform.sent == []


def test_a_send_job_is_skipped_while_the_fleet_uses_every_slot_of_the_platform(
    fake_platform: FakePlatform, auto_send, settings
) -> None:  # type: ignore[no-untyped-def]
    from dispatch.locks import platform_slot

    settings.LEASEBOT_PLATFORM_CONCURRENCY = {"default": 1}
    row = _queued()
    with platform_slot("spareroom") as busy:
        assert busy is not None
        summary = services.send_account_run(account_id=row.account_id)
    assert summary.skipped == "platform_busy"
    assert fake_platform.sent == []
    assert DispatchAttempt.objects.get(outcome="skipped").detail == {"reason": "platform_busy"}
    # once the slot is free, the reply goes out
    services.send_account_run(account_id=row.account_id)
    row.refresh_from_db()
    assert row.status == "sent"
