"""The health board says how far behind the fleet is: ingest lag, jobs waiting and for how long, replies queued."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from inbox.models import Message, OutboundMessage
from leasebot.core import pending
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.support import scrape_metrics

pytestmark = pytest.mark.django_db


def _spareroom(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/health/platforms/")
    assert response.status_code == 200
    return next(r for r in response.json() if r["slug"] == "spareroom")


def test_the_board_shows_ingest_lag_waiting_jobs_and_queued_replies(
    ops_client: Any, agent_client: Any, granted: Any, foreign_account: Any
) -> None:
    now = timezone.now()
    # given: one account read 5 minutes ago, another 30 s ago
    granted.last_ingest_success_at = now - timedelta(seconds=300)
    granted.save(update_fields=["last_ingest_success_at"])
    foreign_account.last_ingest_success_at = now - timedelta(seconds=30)
    foreign_account.save(update_fields=["last_ingest_success_at"])
    # ... an ingest job waiting for the foreign account since 40 s ago, and a send job for the granted one
    with time_machine.travel(now - timedelta(seconds=40), tick=False):
        assert pending.reserve("ingest", foreign_account.pk, 120)
    assert pending.reserve("send", granted.pk, 60)
    # ... and a reply queued two minutes ago on the granted account
    OutboundFactory(
        conversation=ConversationFactory(account=granted), status="queued", queued_at=now - timedelta(seconds=120)
    )
    # when: ops look at the board
    row = _spareroom(ops_client)
    # then: the lag is the least recent read, the waits and the queue age are there
    assert 299 <= row["ingest_lag_seconds"] < 400
    assert (row["jobs_waiting_ingest"], row["jobs_waiting_send"]) == (1, 1)
    assert 39 <= row["oldest_job_wait_seconds"] < 100
    assert 119 <= row["send_queue_oldest_seconds"] < 200
    # and an agent sees only the account granted to them
    mine = _spareroom(agent_client)
    assert (mine["jobs_waiting_ingest"], mine["jobs_waiting_send"]) == (0, 1)
    assert mine["oldest_job_wait_seconds"] < 39
    assert mine["ingest_lag_seconds"] >= 299


def test_a_switched_off_account_adds_no_lag_and_nothing_waiting_is_null(ops_client: Any, granted: Any) -> None:
    granted.last_ingest_success_at = timezone.now() - timedelta(hours=5)
    granted.is_active = False
    granted.save(update_fields=["last_ingest_success_at", "is_active"])
    row = _spareroom(ops_client)
    assert row["ingest_lag_seconds"] is None
    assert (row["jobs_waiting_ingest"], row["oldest_job_wait_seconds"], row["send_queue_oldest_seconds"]) == (
        0,
        None,
        None,
    )


def test_a_reply_left_sending_on_a_switched_off_account_is_counted_until_it_runs_again(
    ops_client: Any, granted: Any
) -> None:
    # given: a reply whose send was under way, and a queued one, when the account was switched off
    now = timezone.now()
    conversation = ConversationFactory(account=granted)
    OutboundFactory(conversation=conversation, status="sending", queued_at=now, sending_started_at=now)
    OutboundFactory(conversation=ConversationFactory(account=granted), status="queued", queued_at=now)
    assert _spareroom(ops_client)["replies_unconfirmed_on_stopped"] == 0  # Running: its job reads it back.
    granted.is_active = False
    granted.save(update_fields=["is_active"])
    # then: the board counts the one nobody will read back (not the queued one), until the account runs
    assert _spareroom(ops_client)["replies_unconfirmed_on_stopped"] == 1
    granted.is_active = True
    granted.save(update_fields=["is_active"])
    assert _spareroom(ops_client)["replies_unconfirmed_on_stopped"] == 0


def test_the_queue_figures_name_each_queue_and_the_waiting_jobs(agent_client: Any, granted: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(seconds=25), tick=False):
        pending.reserve("ingest", granted.pk, 120)
    body = agent_client.get("/api/v1/health/queues/").json()
    assert body["broker_reachable"] is True
    assert {q["name"] for q in body["queues"]} == {"default", "rpa"}
    jobs = {j["stage"]: j for j in body["jobs"]}
    assert jobs["ingest"]["waiting"] == 1
    assert jobs["ingest"]["oldest_wait_seconds"] >= 24
    assert (jobs["send"]["waiting"], jobs["send"]["oldest_wait_seconds"]) == (0, None)


def test_the_queue_figures_need_a_signed_in_user(client: Any) -> None:
    assert client.get("/api/v1/health/queues/").status_code in (401, 403)


def test_the_queue_figures_carry_the_first_reply_latency(agent_client: Any, granted: Any) -> None:
    # given: a renter message read 4 s and answered 30 s after the platform dated it
    conversation = ConversationFactory(account=granted)
    written = timezone.now() - timedelta(minutes=2)
    message = MessageFactory(conversation=conversation, sent_at=written)
    Message.objects.filter(pk=message.pk).update(seen_at=written + timedelta(seconds=4))
    reply = OutboundFactory(conversation=conversation, in_reply_to=message)
    OutboundMessage.objects.filter(pk=reply.pk).update(created_at=written + timedelta(seconds=30))
    # when
    body = agent_client.get("/api/v1/health/queues/").json()
    # then: the fleet first, then each platform with renter messages
    fleet, spareroom = body["first_reply"]
    assert (fleet["platform"], fleet["inbound"], fleet["unanswered"]) == ("all", 1, 0)
    assert (spareroom["platform"], spareroom["seen_p95"], spareroom["drafted_p50"]) == ("spareroom", 4.0, 30.0)
    assert (spareroom["sent_count"], spareroom["sent_p95"]) == (0, None)
    # and /metrics shows the same figures
    text = scrape_metrics()
    assert 'leasebot_first_reply_seconds{platform="spareroom",quantile="0.5",stage="drafted"} 30.0' in text
    assert 'leasebot_first_reply_window_seconds_bucket{le="30",platform="spareroom",stage="drafted"} 1.0' in text
