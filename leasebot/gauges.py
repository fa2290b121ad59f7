"""Gauges read from the database at scrape time: queue depths, ages, circuit states."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from dispatch.choices import DeadLetterStatus
from dispatch.latency import first_reply_latency
from dispatch.models import DeadLetter
from dispatch.queues import queue_depths
from inbox.choices import OutboundStatus
from inbox.models import OutboundMessage
from leasebot.core import pending
from platforms.models import PlatformAccount


def database_gauges() -> Iterable[GaugeMetricFamily | HistogramMetricFamily]:
    """Yield the outbox, review-queue, dead-letter and account-health gauges."""

    now = timezone.now()
    outbox = GaugeMetricFamily(
        "leasebot_outbound_rows", "Outbound rows by platform and status.", labels=["platform", "status"]
    )
    for row in OutboundMessage.objects.values("account__platform__slug", "status").annotate(n=Count("id")):
        outbox.add_metric([row["account__platform__slug"], row["status"]], row["n"])
    yield outbox

    review = GaugeMetricFamily("leasebot_review_queue_oldest_seconds", "Age of the oldest reply waiting for a human.")
    oldest = OutboundMessage.objects.filter(status__in=[OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW]).aggregate(
        m=Min("created_at")
    )["m"]
    review.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
    yield review

    queued = GaugeMetricFamily("leasebot_send_queue_oldest_seconds", "Age of the oldest queued outbound row.")
    oldest_q = OutboundMessage.objects.filter(status=OutboundStatus.QUEUED).aggregate(m=Min("queued_at"))["m"]
    queued.add_metric([], (now - oldest_q).total_seconds() if oldest_q else 0.0)
    yield queued

    dlq = GaugeMetricFamily("leasebot_dead_letters_open", "Open dead letters by platform.", labels=["platform"])
    for row in DeadLetter.objects.filter(status=DeadLetterStatus.OPEN).values("platform").annotate(n=Count("id")):
        dlq.add_metric([row["platform"]], row["n"])
    yield dlq

    circuit = GaugeMetricFamily(
        "leasebot_account_circuit_open", "1 when an account's circuit is open.", labels=["platform", "account"]
    )
    fresh = GaugeMetricFamily(
        "leasebot_account_last_ingest_age_seconds",
        "Seconds since the last successful ingest.",
        labels=["platform", "account"],
    )
    active = GaugeMetricFamily("leasebot_account_active", "1 when an account may run.", labels=["platform", "account"])
    for acc in PlatformAccount.objects.select_related("platform"):
        labels = [acc.platform.slug, str(acc.pk)]
        circuit.add_metric(labels, 1.0 if acc.circuit_state == "open" else 0.0)
        if acc.last_ingest_success_at:
            fresh.add_metric(labels, (now - acc.last_ingest_success_at).total_seconds())
        active.add_metric(labels, 1.0 if acc.is_active and acc.platform.is_active else 0.0)
    yield circuit
    yield fresh
    yield active

    lag = GaugeMetricFamily(
        "leasebot_ingest_lag_seconds",
        "Per platform: seconds since the least recent successful ingest of an account that may run.",
        labels=["platform"],
    )
    runnable = PlatformAccount.objects.filter(
        is_active=True, platform__is_active=True, last_ingest_success_at__isnull=False
    )
    for row in runnable.values("platform__slug").annotate(oldest=Min("last_ingest_success_at")):
        lag.add_metric([row["platform__slug"]], (now - row["oldest"]).total_seconds())
    yield lag

    yield from queue_gauges()
    yield from latency_gauges()


def latency_gauges() -> Iterable[GaugeMetricFamily | HistogramMetricFamily]:
    """The first-reply latency over the last window, from the rows' own times (``dispatch.latency``)."""
    quantiles = GaugeMetricFamily(
        "leasebot_first_reply_seconds",
        "Renter message (platform time) to our message seen, reply drafted, reply sent: p50/p95 over the window.",
        labels=["platform", "stage", "quantile"],
    )
    histogram = HistogramMetricFamily(
        "leasebot_first_reply_window_seconds",
        "Renter message to seen/drafted/sent, over the renter messages of the window (recomputed each scrape; "
        "per platform only, so sums add up).",
        labels=["platform", "stage"],
    )
    unanswered = GaugeMetricFamily(
        "leasebot_first_reply_unanswered",
        "Renter messages of the window older than a minute that no outbox row answers.",
        labels=["platform"],
    )
    for figures in first_reply_latency():
        unanswered.add_metric([figures.platform], figures.unanswered)
        for stage, latency in figures.stages.items():
            for quantile, value in (("0.5", latency.p50), ("0.95", latency.p95)):
                if value is not None:
                    quantiles.add_metric([figures.platform, stage, quantile], value)
            if figures.platform == "all":
                continue
            buckets = [(str(bound), float(n)) for bound, n in latency.buckets] + [("+Inf", float(latency.count))]
            histogram.add_metric([figures.platform, stage], buckets, latency.sum_s)
    yield quantiles
    yield histogram
    yield unanswered


def queue_gauges() -> Iterable[GaugeMetricFamily]:
    """The broker's queue depths and the jobs reserved as waiting (at most one per account and kind)."""
    depth = GaugeMetricFamily("leasebot_queue_depth", "Jobs waiting in a broker queue.", labels=["queue"])
    for queue, size in queue_depths().items():
        depth.add_metric([queue], size)
    yield depth
    waiting = GaugeMetricFamily(
        "leasebot_jobs_waiting", "Account jobs waiting to run, by kind (one at most per account).", labels=["stage"]
    )
    oldest = GaugeMetricFamily(
        "leasebot_jobs_oldest_waiting_seconds",
        "How long the oldest waiting account job of each kind has waited (0: none waits).",
        labels=["stage"],
    )
    now = time.time()
    for stage in ("ingest", "send"):
        since = pending.waiting_since(stage)
        waiting.add_metric([stage], len(since))
        oldest.add_metric([stage], max(0.0, now - min(since.values())) if since else 0.0)
    yield waiting
    yield oldest


class DatabaseGauges(Collector):
    """The gauges above as a Prometheus collector for ``/metrics``."""

    def collect(self) -> Iterable[GaugeMetricFamily | HistogramMetricFamily]:
        yield from database_gauges()
