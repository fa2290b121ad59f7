"""Prometheus metrics shared by every process through Redis.

Workers run in many processes (and machines), so an in-process registry would show each
process's own slice. Counters and histogram buckets live in Redis hashes instead; the
web process renders them, plus gauges read from the database, at ``/metrics``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterable, Iterator, Sequence

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from leasebot.core.redis import client as redis_client

logger = logging.getLogger(__name__)

_KEY = "leasebot:metrics"
DEFAULT_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

#: Every metric, its type, help and label names: the one place they are declared.
METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "leasebot_jobs_total": (
        "counter",
        "Platform jobs by platform, stage and outcome.",
        ("platform", "stage", "outcome"),
    ),
    "leasebot_job_duration_seconds": ("histogram", "Duration of platform jobs.", ("platform", "stage")),
    "leasebot_errors_total": ("counter", "Connector errors by class.", ("platform", "stage", "error_class")),
    "leasebot_dead_letters_total": ("counter", "Dead letters created.", ("platform", "stage")),
    "leasebot_messages_ingested_total": ("counter", "New inbound messages stored.", ("platform",)),
    "leasebot_outbound_total": ("counter", "Outbound rows by status reached.", ("platform", "status")),
    "leasebot_fanout_skipped_total": ("counter", "Account jobs skipped at fan-out.", ("platform", "stage", "reason")),
    "leasebot_ingest_spare_reads_total": (
        "counter",
        "Ingest jobs enqueued before their account was due, with the fleet's spare capacity.",
        ("platform",),
    ),
    "leasebot_send_job_yielded_total": (
        "counter",
        "Send jobs that used their time budget with rows left and queued a fresh job.",
        ("platform",),
    ),
    "leasebot_outbound_superseded_total": (
        "counter",
        "Unsent bot replies withdrawn because one reply answers the renter's whole burst.",
        ("platform",),
    ),
    "leasebot_guardrail_holds_total": ("counter", "Replies held by a guardrail.", ("category",)),
    "leasebot_decisions_total": ("counter", "Decisions by intent.", ("intent",)),
    "leasebot_escalations_total": ("counter", "Reasons a conversation was put in front of a person.", ("code",)),
    "leasebot_workflow_transitions_total": ("counter", "Workflow transitions.", ("field", "outcome")),
    "leasebot_alerts_total": ("counter", "Alerts raised.", ("kind",)),
    "leasebot_locator_healings_total": (
        "counter",
        "Locators that missed and healed, by what became of the healing.",
        ("platform", "outcome"),
    ),
    "leasebot_circuit_open_total": ("counter", "Circuit breaker openings.", ("platform",)),
}


def _client() -> redis.Redis:
    return redis_client()


def _field(name: str, labels: dict[str, str], suffix: str = "") -> str:
    return json.dumps([name + suffix, sorted(labels.items())])


#: Counter increments held by a ``batch`` block: Redis hash field -> amount.
_batch: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar("leasebot_metrics_batch", default=None)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Send the counter increments made inside the block in one Redis round trip when it ends without an error.

    For a unit of work that counts several things (a decision: its intent, its reply's status,
    its escalations): one write instead of one per counter. An error inside the block drops
    them with the work it unwinds. Nested blocks join the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    held: dict[str, float] = {}
    token = _batch.set(held)
    try:
        yield
    finally:
        _batch.reset(token)
    if not held:
        return
    try:
        pipe = _client().pipeline(transaction=False)
        for field, amount in held.items():
            pipe.hincrbyfloat(_KEY, field, amount)
        pipe.execute()
    except redis.RedisError:
        logger.warning("metrics: redis unavailable, %d counter(s) not recorded", len(held))


def inc(name: str, amount: float = 1.0, **labels: str) -> None:
    """Add to a counter; a Redis outage must never fail the job that counts."""
    _check(name, labels)
    held = _batch.get()
    if held is not None:
        field = _field(name, labels)
        held[field] = held.get(field, 0.0) + amount
        return
    try:
        _client().hincrbyfloat(_KEY, _field(name, labels), amount)
    except redis.RedisError:
        logger.warning("metrics: redis unavailable, counter %s not recorded", name)


def observe(name: str, value: float, **labels: str) -> None:
    """Record one observation in a histogram."""
    _check(name, labels)
    try:
        pipe = _client().pipeline()
        for bound in DEFAULT_BUCKETS:
            if value <= bound:
                pipe.hincrbyfloat(_KEY, _field(name, {**labels, "le": str(bound)}, "_bucket"), 1)
        pipe.hincrbyfloat(_KEY, _field(name, {**labels, "le": "+Inf"}, "_bucket"), 1)
        pipe.hincrbyfloat(_KEY, _field(name, labels, "_sum"), value)
        pipe.hincrbyfloat(_KEY, _field(name, labels, "_count"), 1)
        pipe.execute()
    except redis.RedisError:
        logger.warning("metrics: redis unavailable, histogram %s not recorded", name)


def _check(name: str, labels: dict[str, str]) -> None:
    spec = METRICS.get(name)
    if spec is None:
        raise KeyError(f"undeclared metric {name}")
    if set(labels) != set(spec[2]):
        raise KeyError(f"metric {name} takes labels {spec[2]}, got {tuple(labels)}")


def read_all() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every stored sample as {(sample name, labels): value}."""
    raw = _client().hgetall(_KEY)
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for key, value in raw.items():
        sample, labels = json.loads(key)
        out[(sample, tuple((k, v) for k, v in labels))] = float(value)
    return out


def value(name: str, **labels: str) -> float:
    """Return one counter's current value (0 when never incremented)."""
    return read_all().get((name, tuple(sorted(labels.items()))), 0.0)


def reset() -> None:
    """Forget every stored sample (tests and benchmarks only)."""
    _client().delete(_KEY)


class RedisCollector(Collector):
    """Render the Redis-held samples as Prometheus metric families."""

    def collect(self) -> Iterable[CounterMetricFamily | HistogramMetricFamily | GaugeMetricFamily]:
        try:
            samples = read_all()
        except redis.RedisError:
            samples = {}
        for name, (kind, help_text, label_names) in METRICS.items():
            if kind == "counter":
                fam_c = CounterMetricFamily(name.removesuffix("_total"), help_text, labels=label_names)
                for (sample, labels), val in samples.items():
                    if sample == name:
                        d = dict(labels)
                        fam_c.add_metric([d.get(n, "") for n in label_names], val)
                yield fam_c
            else:
                fam_h = HistogramMetricFamily(name, help_text, labels=label_names)
                for series in _histogram_series(name, samples, label_names):
                    fam_h.add_metric(*series)
                yield fam_h


def _histogram_series(
    name: str, samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], label_names: Sequence[str]
) -> Iterable[tuple[list[str], list[tuple[str, float]], float]]:
    keys = {labels for (sample, labels) in samples if sample == name + "_count"}
    for labels in sorted(keys):
        d = dict(labels)
        buckets = []
        for bound in [*map(str, DEFAULT_BUCKETS), "+Inf"]:
            bucket_labels = tuple(sorted({**d, "le": bound}.items()))
            buckets.append((bound, samples.get((name + "_bucket", bucket_labels), 0.0)))
        yield [d.get(n, "") for n in label_names], buckets, samples.get((name + "_sum", labels), 0.0)


def collect_text(*extra: Collector) -> bytes:
    """Return the exposition text for ``/metrics``: the Redis-held samples plus ``extra`` collectors.

    The kernel knows no app's tables; the composition root passes the database gauges.
    """
    registry = CollectorRegistry()
    registry.register(RedisCollector())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
