"""Counters of one unit of work go to Redis in one write, and not at all when the work failed."""

from __future__ import annotations

from typing import Any

import pytest

from leasebot.core import metrics

pytestmark = pytest.mark.django_db


class _Counting:
    """The Redis client, counting the round trips made through it."""

    def __init__(self, real: Any) -> None:
        self.real, self.trips = real, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)  # Reads (hgetall) pass through uncounted.

    def hincrbyfloat(self, *args: Any) -> Any:
        self.trips += 1
        return self.real.hincrbyfloat(*args)

    def pipeline(self, **kwargs: Any) -> Any:
        pipe = self.real.pipeline(**kwargs)
        execute = pipe.execute

        def counted() -> Any:
            self.trips += 1
            return execute()

        pipe.execute = counted
        return pipe


def test_a_batch_sends_its_counters_in_one_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(metrics._client())
    monkeypatch.setattr(metrics, "_client", lambda: counting)
    # when: a unit of work counts five things, twice the same one, inside a batch (nested too)
    with metrics.batch():
        metrics.inc("leasebot_decisions_total", intent="availability")
        metrics.inc("leasebot_decisions_total", intent="availability")
        with metrics.batch():
            metrics.inc("leasebot_escalations_total", code="unlinked")
        metrics.inc("leasebot_outbound_total", 2.0, platform="spareroom", status="draft")
        # then: nothing is written before the block ends
        assert counting.trips == 0
        assert metrics.value("leasebot_decisions_total", intent="availability") == 0
    # and then everything in one write
    assert counting.trips == 1
    assert metrics.value("leasebot_decisions_total", intent="availability") == 2
    assert metrics.value("leasebot_escalations_total", code="unlinked") == 1
    assert metrics.value("leasebot_outbound_total", platform="spareroom", status="draft") == 2


def _count_then_fail() -> None:
    with metrics.batch():
        metrics.inc("leasebot_decisions_total", intent="availability")
        raise RuntimeError("the work failed")


def test_a_failed_batch_counts_nothing() -> None:
    with pytest.raises(RuntimeError):
        _count_then_fail()
    assert metrics.value("leasebot_decisions_total", intent="availability") == 0


def test_an_undeclared_counter_is_refused_inside_a_batch_too() -> None:
    with pytest.raises(KeyError, match="undeclared"), metrics.batch():
        metrics.inc("leasebot_nonsense_total")
