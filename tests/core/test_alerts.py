"""Alerts reach the webhook once per quiet period, and always the log."""

from __future__ import annotations

import pytest

from leasebot.core import metrics
from leasebot.core.alerts import alert
from platforms.connectors import errors
from platforms.services import account_record_failure
from tests.platforms.factories import PlatformAccountFactory


def test_alert_goes_to_webhook_and_log_once_per_quiet_period(webhook, caplog) -> None:  # type: ignore[no-untyped-def]
    assert alert("circuit_open", "circuit opened for spareroom/team", key="7", account=7)
    assert not alert("circuit_open", "again", key="7", account=7)
    assert alert("circuit_open", "another account", key="8", account=8)
    assert [a["facts"] for a in webhook] == [{"account": 7}, {"account": 8}]
    assert "ALERT circuit_open" in caplog.text
    assert metrics.value("leasebot_alerts_total", kind="circuit_open") == 2


def test_alert_webhook_down_does_not_fail_the_caller(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_ALERT_WEBHOOK_URL = "http://127.0.0.1:1/hook"
    assert alert("dead_letters_growing", "5 open", key="x")


@pytest.mark.django_db
def test_captcha_opens_circuit_disables_and_alerts(webhook) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    account_record_failure(
        account_id=account.pk, stage="ingest", error=errors.CaptchaRequired("captcha page"), circuit_state="open"
    )
    account.refresh_from_db()
    assert account.circuit_state == "open"
    assert not account.is_active
    assert [a["kind"] for a in webhook] == ["circuit_open"]


@pytest.mark.django_db
def test_operator_login_needed_alerts_and_shows_in_health(webhook) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    account_record_failure(account_id=account.pk, stage="ingest", error=errors.NeedsOperatorLogin("session lapsed"))
    account.refresh_from_db()
    assert account.needs_operator_login
    assert not account.is_active
    assert "operator" in account.disabled_reason
    assert [a["kind"] for a in webhook] == ["operator_login_needed"]
