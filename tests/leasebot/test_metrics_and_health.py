"""/metrics, /healthz and /readyz."""

from __future__ import annotations

import pytest
from django.test import Client

from leasebot.core import metrics
from tests.inbox.factories import OutboundFactory
from tests.platforms.factories import PlatformAccountFactory
from tests.support import scrape_metrics

pytestmark = pytest.mark.django_db


def test_metrics_exposes_redis_counters_and_database_gauges() -> None:
    account = PlatformAccountFactory()
    OutboundFactory(conversation__account=account, status="pending_review")
    metrics.inc("leasebot_jobs_total", platform="spareroom", stage="send", outcome="success")
    metrics.inc("leasebot_jobs_total", platform="spareroom", stage="send", outcome="success")
    metrics.observe("leasebot_job_duration_seconds", 0.3, platform="spareroom", stage="send")
    body = scrape_metrics()
    assert 'leasebot_jobs_total{outcome="success",platform="spareroom",stage="send"} 2.0' in body
    assert 'leasebot_job_duration_seconds_bucket{le="0.5",platform="spareroom",stage="send"} 1.0' in body
    assert 'leasebot_outbound_rows{platform="spareroom",status="pending_review"} 1.0' in body
    assert "leasebot_review_queue_oldest_seconds" in body


def test_metrics_refuse_undeclared_names_and_wrong_labels() -> None:
    with pytest.raises(KeyError):
        metrics.inc("leasebot_made_up_total")
    with pytest.raises(KeyError):
        metrics.inc("leasebot_jobs_total", platform="spareroom")


def test_healthz_depends_on_nothing() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(settings) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def _purge_rpa() -> None:
    from celery import current_app

    with current_app.connection_for_write() as connection:
        connection.default_channel.queue_purge("rpa")


@pytest.mark.django_db
def test_metrics_show_the_queue_depth_and_the_waiting_jobs() -> None:
    from dispatch import tasks
    from dispatch.queues import queue_depths
    from dispatch.services import fanout

    _purge_rpa()
    try:
        # given: two ingest jobs waiting in the browser queue, one reserved as waiting per account
        PlatformAccountFactory()
        PlatformAccountFactory()
        fanout(platform_slug="spareroom", stage="ingest", enqueue=lambda pk: tasks.ingest_account.apply_async((pk,)))
        # then: the broker's depth and the reservations are both exposed
        assert queue_depths()["rpa"] == 2
        text = scrape_metrics()
        assert 'leasebot_queue_depth{queue="rpa"} 2.0' in text
        assert 'leasebot_jobs_waiting{stage="ingest"} 2.0' in text
    finally:
        _purge_rpa()
