"""The health board as ops read it: the work waiting and how far behind each platform is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from leasebot.core import pending
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ops_see_the_jobs_waiting_and_the_ingest_lag(pages: Any) -> None:
    # given: a SpareRoom account last read 20 minutes ago, with an ingest job waiting for 90 s
    UserFactory(username="olga-ops", role="ops")
    account = PlatformAccountFactory(label="astoria")
    account.last_ingest_success_at = timezone.now() - timedelta(minutes=20)
    account.save(update_fields=["last_ingest_success_at"])
    with time_machine.travel(timezone.now() - timedelta(seconds=90), tick=False):
        assert pending.reserve("ingest", account.pk, 120)
    # when: ops open the health board
    page = pages.login("olga-ops")
    page.goto(pages.base_url + "/review/health/")
    # then: the work waiting says one ingest job, waiting for over a minute (flagged)
    waiting = page.locator("[data-board='queues'] dd[data-jobs='ingest']")
    expect(waiting).to_contain_text("1 (oldest 2 min)")
    expect(waiting).to_have_class("warn")
    expect(page.locator("[data-board='queues'] dd[data-jobs='send']")).to_have_text("0")
    # and the platform's card says how far behind its reads are, flagged past ten minutes
    card = page.locator("section[data-platform='spareroom']")
    expect(card.locator("dd[data-fact='ingest-lag']")).to_have_text("20 min")
    expect(card.locator("dd[data-fact='ingest-lag']")).to_have_class("warn")
    expect(card.locator("dd[data-fact='jobs-waiting']")).to_have_text("1 / 0")
    assert pages.errors == []
