"""The worker fleet's promises, proven with real Celery workers, real Chromium and the sandbox.

Each test makes an account of its own on the session's sandbox (served from this process;
workers reach it over loopback), starts a real ``celery worker`` subprocess bound to the test
database, and drives the real send path.
"""

from __future__ import annotations

import dataclasses
import signal
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings as django_settings
from django.utils import timezone

from dispatch.models import DispatchAttempt
from dispatch.tasks import ingest_account, send_account
from inbox import services
from inbox.models import Conversation, OutboundMessage
from platforms.models import BotSettings, PlatformAccount
from platforms.sandbox.client import SandboxClient
from platforms.services import account_update_policy
from tests.conftest import make_sandbox_login
from tests.support import eventually

pytestmark = [pytest.mark.worker, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLATFORM = "spareroom"


@dataclasses.dataclass
class World:
    """A sandbox account, its database twin, and the environment a worker needs to log in."""

    client: SandboxClient
    account: PlatformAccount
    username: str
    env: dict[str, str]

    def queue_reply(self, body: str, renter: str = "Dana") -> OutboundMessage:
        seeded = self.client.seed_message(
            PLATFORM, self.username, renter_name=renter, body="Is the room still available?"
        )
        conversation = Conversation.objects.create(
            account=self.account, thread_ref=str(seeded["thread_id"]), renter_name=renter
        )
        row = services.outbound_create(
            conversation=conversation, body=body, purpose="reply", dispatch_key=f"test:{conversation.pk}"
        )
        assert row.status == "queued"
        return row

    def sent_bodies(self) -> list[str]:
        return [s["body"].replace("\r\n", "\n") for s in self.client.sent(PLATFORM, self.username)]


@pytest.fixture
def world(sandbox_client: SandboxClient, tmp_path: Path) -> World:
    # The password goes to the workers only (their environment), not to this process's.
    login = make_sandbox_login(sandbox_client, PLATFORM, env_prefix="RELIABILITY")
    account = login.account_row()
    # The site as it really renders (curly quotes, links, late messages...): the promises must hold there.
    sandbox_client.set_profile(PLATFORM, login.username, "realistic", seed=7)
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    env = {
        **login.env,
        "LEASEBOT_PACING_MIN_S": "0",
        "LEASEBOT_PACING_MAX_S": "0",
        "LEASEBOT_RATE_PER_MINUTE": "60000",
        "LEASEBOT_RATE_BURST": "1000",
        "LEASEBOT_GUARD_MAX_WAIT_S": "5",
        # A killed worker's account lock lapses after its TTL (120 s in production); short here.
        "LEASEBOT_ACCOUNT_LOCK_TTL_S": "3",
        "LEASEBOT_STATE_DIR": str(tmp_path / "state"),
    }
    return World(sandbox_client, account, login.username, env)


def status_of(row: OutboundMessage) -> str:
    return OutboundMessage.objects.values_list("status", flat=True).get(pk=row.pk)


def all_done(*jobs: AsyncResult) -> None:
    """Wait until the worker has reported every job finished (its retries included)."""
    eventually(
        lambda: all(job.ready() for job in jobs),
        f"{len(jobs)} job(s) to finish",
        timeout=90,
        detail=lambda: [job.state for job in jobs],
    )


def account_lock_lapsed(account: PlatformAccount) -> None:
    """Wait until a killed worker's account lock has expired by its TTL (the fixture's 3 s)."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    eventually(
        lambda: not client.exists(f"leasebot:lock:account:{account.pk}"), "the dead worker's account lock to lapse"
    )


def test_same_outbound_enqueued_many_times_at_once_is_sent_once(
    world: World, celery_worker_factory, purge_broker
) -> None:  # type: ignore[no-untyped-def]
    # given: one queued reply and a worker with two processes
    row = world.queue_reply("Yes, it is available from June 1. Viewing Tuesday 6pm?")
    celery_worker_factory(queues="default,rpa", concurrency=2, env=world.env)
    # when: the send job is delivered five times at once, and twice more after
    jobs = [send_account.delay(world.account.pk) for _ in range(5)]
    eventually(lambda: status_of(row) == "sent", "the reply to be sent")
    jobs += [send_account.delay(world.account.pk), send_account.delay(world.account.pk)]
    all_done(*jobs)
    # then: the platform received it exactly once
    assert world.sent_bodies().count(row.body) == 1
    assert OutboundMessage.objects.get(pk=row.pk).platform_message_ref


def test_worker_killed_between_click_and_commit_is_reconciled_not_resent(
    world: World, celery_worker_factory, purge_broker, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: the platform records the reply and then stalls its confirmation
    row = world.queue_reply("Hi Dana, the room is free from June 1.")
    world.client.set_fault(PLATFORM, world.username, "send_stall", delay=8)
    worker = celery_worker_factory(queues="default,rpa", env=world.env, name="doomed")
    send_account.delay(world.account.pk)
    # when: the reply reaches the platform, the worker is SIGKILLed before it can commit
    eventually(lambda: row.body in world.sent_bodies(), "the click to land")
    worker.kill(signal.SIGKILL)
    assert status_of(row) == "sending"
    account_lock_lapsed(world.account)
    # ... and later (its lease has passed) a new worker runs the send job again
    OutboundMessage.objects.filter(pk=row.pk).update(
        sending_started_at=timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 1)
    )
    celery_worker_factory(queues="default,rpa", env=world.env, name="heir")
    send_account.delay(world.account.pk)
    eventually(lambda: status_of(row) == "sent", "reconciliation")
    # then: reconciled by read-back, never sent a second time
    assert world.sent_bodies().count(row.body) == 1
    assert DispatchAttempt.objects.filter(outbound_id=row.pk, stage="reconcile", outcome="reconciled").exists()


def test_worker_killed_before_the_click_sends_once(world: World, celery_worker_factory, purge_broker, settings) -> None:  # type: ignore[no-untyped-def]
    # given: every page of the platform is slow, so the worker is still loading when it dies
    row = world.queue_reply("Hello Dana, viewings are open this week.")
    world.client.set_fault(PLATFORM, world.username, "slow", delay=2, count=None)
    worker = celery_worker_factory(queues="default,rpa", env=world.env, name="doomed")
    send_account.delay(world.account.pk)
    eventually(lambda: status_of(row) == "sending", "the row to be claimed")
    worker.kill(signal.SIGKILL)
    assert world.sent_bodies() == []
    account_lock_lapsed(world.account)
    # when: the platform recovers and, past the lease, a new worker runs the job
    world.client.clear_faults(PLATFORM, world.username)
    OutboundMessage.objects.filter(pk=row.pk).update(
        sending_started_at=timezone.now() - timedelta(seconds=settings.LEASEBOT_SENDING_LEASE_S + 1)
    )
    celery_worker_factory(queues="default,rpa", env=world.env, name="heir")
    send_account.delay(world.account.pk)
    eventually(lambda: status_of(row) == "sent", "the resend", timeout=90)
    # then: read back (not found), requeued, sent exactly once
    assert world.sent_bodies().count(row.body) == 1
    assert OutboundMessage.objects.get(pk=row.pk).lost_worker_redeliveries == 1


def test_inactive_account_gets_no_browser_traffic(world: World, celery_worker_factory, purge_broker) -> None:  # type: ignore[no-untyped-def]
    row = world.queue_reply("Hi Dana!")
    account_update_policy(account_id=world.account.pk, actor=None, is_active=False, reason="test")
    before = world.client.request_count(PLATFORM, world.username)
    celery_worker_factory(queues="default,rpa", env=world.env)
    jobs = [ingest_account.delay(world.account.pk), send_account.delay(world.account.pk)]
    eventually(lambda: status_of(row) == "pending_review", "the row to go back to review")
    all_done(*jobs)
    assert world.client.request_count(PLATFORM, world.username) == before
    assert world.sent_bodies() == []


def test_mode_change_to_draft_only_stops_a_queued_send(world: World, celery_worker_factory, purge_broker) -> None:  # type: ignore[no-untyped-def]
    row = world.queue_reply("Hi Dana, here are some times.")
    account_update_policy(account_id=world.account.pk, actor=None, send_mode="draft_only", reason="test")
    celery_worker_factory(queues="default,rpa", env=world.env)
    send_account.delay(world.account.pk)
    eventually(lambda: status_of(row) == "draft", "the row to go back to draft")
    assert world.sent_bodies() == []


def test_ingest_then_send_end_to_end_on_a_real_worker(world: World, celery_worker_factory, purge_broker) -> None:  # type: ignore[no-untyped-def]
    # given: two renters write on the platform
    world.client.seed_message(PLATFORM, world.username, renter_name="Priya", body="Hi! Do you allow cats?")
    world.client.seed_message(PLATFORM, world.username, renter_name="Marco", body="Is there parking?")
    worker = celery_worker_factory(queues="default,rpa", env=world.env)
    # when: ingest runs twice (a beat tick and its duplicate)
    jobs = [ingest_account.delay(world.account.pk), ingest_account.delay(world.account.pk)]
    eventually(
        lambda: OutboundMessage.objects.filter(account=world.account).count() >= 2,
        "two replies",
        detail=lambda: (
            list(Conversation.objects.filter(account=world.account).values("human_reasons", "linkage_status")),
            worker.output()[-4000:],
        ),
    )
    all_done(*jobs)  # The duplicate job too.
    # then: each message is stored once and answered by at most one outbound row
    assert (
        Conversation.objects.get(account=world.account, renter_name="Priya").messages.filter(direction="in").count()
        == 1
    )
    reasons = list(Conversation.objects.filter(account=world.account).values_list("human_reasons", flat=True))
    assert OutboundMessage.objects.filter(account=world.account).count() == 2, (reasons, worker.output()[-3000:])
    account = PlatformAccount.objects.get(pk=world.account.pk)
    assert account.last_ingest_success_at is not None


def test_two_worker_machines_serve_one_account_in_turn_with_one_login(
    world: World, celery_worker_factory, purge_broker, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # given: a renter's message, and a first worker "machine" (its own state directory)
    world.client.seed_message(PLATFORM, world.username, renter_name="Ines", body="Is the room still free?")
    first = celery_worker_factory(
        queues="default,rpa", env={**world.env, "LEASEBOT_STATE_DIR": str(tmp_path / "machine-a")}, name="a"
    )
    all_done(ingest_account.delay(world.account.pk))
    assert world.client.stats(PLATFORM, world.username)["logins"] == 1
    first.stop(grace=30)  # A warm shutdown: whatever it keeps at exit is kept.
    # when: a second machine, sharing nothing but the database and the broker, serves the account
    world.client.seed_message(PLATFORM, world.username, renter_name="Omar", body="Do you allow pets?")
    celery_worker_factory(
        queues="default,rpa", env={**world.env, "LEASEBOT_STATE_DIR": str(tmp_path / "machine-b")}, name="b"
    )
    all_done(ingest_account.delay(world.account.pk))
    # then: it read the new message with the session the first one saved, without logging in again
    assert Conversation.objects.filter(account=world.account, renter_name="Omar").exists()
    assert world.client.stats(PLATFORM, world.username)["logins"] == 1
    assert not list((tmp_path / "machine-b").glob("*.json"))  # Nothing on disk: the session is in the database.
