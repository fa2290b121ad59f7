"""The fan-out's jobs (Celery's first, the rest its copies) as a real worker receives and runs them."""

from __future__ import annotations

import pytest

from dispatch import enqueue, tasks
from dispatch.choices import AttemptOutcome, Stage
from dispatch.models import DispatchAttempt
from tests.platforms.factories import PlatformAccountFactory
from tests.support import eventually

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_every_published_job_runs_once_on_a_real_worker_with_its_own_account(
    celery_worker_factory, purge_broker
) -> None:  # type: ignore[no-untyped-def]
    # given: five switched-off accounts (their ingest job books a skip and touches no platform)
    accounts = [PlatformAccountFactory(is_active=False) for _ in range(5)]
    ids = [a.pk for a in accounts]
    celery_worker_factory(queues="rpa")
    # when: one publish of their jobs, as a beat tick does
    assert enqueue.publish_many(tasks.ingest_account, ids, expires=120) == len(ids)
    # then: the worker ran each job once, for its own account
    eventually(
        lambda: DispatchAttempt.objects.filter(account_id__in=ids, stage=Stage.INGEST).count() >= len(ids),
        "the worker to run the five ingest jobs",
        timeout=60,
        interval=0.5,
    )
    rows = list(
        DispatchAttempt.objects.filter(account_id__in=ids, stage=Stage.INGEST).values_list("account_id", "outcome")
    )
    assert sorted(rows) == sorted((pk, AttemptOutcome.SKIPPED) for pk in ids)
