"""No password and no renter's personal data in logs, audit rows, metrics or error messages.

Drives the real jobs in this process (real connector, real Chromium, the sandbox) with a
known password and a known renter: an ingest, a bot reply and an agent reply sent, a send
the platform rejects, and an account whose password is wrong; then reads every place a
secret could leak to.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dispatch import connectors, enqueue
from dispatch.models import DeadLetter, DispatchAttempt
from dispatch.services import ingest_account_run, ingest_deadletter, send_account_run
from inbox.models import Conversation, OutboundMessage
from inbox.services import outbound_reply_manual
from leasebot.core.models import AuditLog
from platforms.browser import BrowserRuntime
from platforms.connectors.errors import ConnectorError
from platforms.connectors.registry import build_connector
from platforms.models import BotSettings, PlatformAccount
from platforms.sandbox.client import SandboxClient
from platforms.selectors import account_config
from tests.conftest import SandboxLogin
from tests.platforms.factories import UserFactory
from tests.support import scrape_metrics

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pw-Sekrit-7731-horse"
WRONG_PASSWORD = "Pw-Wrong-9402-battery"
RENTER = "Zebulon Quixotewright"
RENTER_EMAIL = "zebulon.q@example.org"
RENTER_PHONE = "917-555-0143"


@pytest.fixture
def runtime(tmp_path: Path, no_pacing: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[BrowserRuntime]:
    """A real Chromium in this thread; Playwright's loop needs Django's async-unsafe guard off."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings = no_pacing
    settings.LEASEBOT_LOCATOR_WAIT_S = 0.5
    settings.LEASEBOT_STATE_DIR = tmp_path / "state"
    browser = BrowserRuntime(state_dir=tmp_path / "state", headless=True)
    connectors.use_factory(lambda account: build_connector(account_config(account), runtime=browser))
    monkeypatch.setattr(connectors, "circuit_state", lambda account_id: "closed")
    monkeypatch.setattr(enqueue, "send", lambda account_id: None)
    monkeypatch.setattr(enqueue, "ingest", lambda account_id: None)
    yield browser
    connectors.use_factory(None)
    browser.close()


def test_no_secret_or_renter_data_in_logs_audit_metrics_or_errors(
    sandbox_client: SandboxClient,
    sandbox_login: Callable[..., SandboxLogin],
    runtime: BrowserRuntime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = sandbox_client
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
    # The site knows PASSWORD for both; the bad account's variable holds a wrong one.
    good = sandbox_login("spareroom", password=PASSWORD, env_prefix="LEAK").account_row(label="leak-spareroom")
    bad = sandbox_login("leasebreak", password=PASSWORD, env_password=WRONG_PASSWORD, env_prefix="LEAK").account_row(
        label="leak-leasebreak"
    )
    body = f"Hi, I'm {RENTER}. Is the room free in June? Reach me at {RENTER_EMAIL} or {RENTER_PHONE}."
    client.seed_message("spareroom", good.username, renter_name=RENTER, body=body)
    client.seed_message("leasebreak", bad.username, renter_name=RENTER, body=body)
    agent = UserFactory(username="leak-agent", role="agent")

    # when: an ingest (decision, maybe a bot reply), an agent reply sent, a rejected send, a wrong password
    summary = ingest_account_run(account_id=good.pk)
    assert summary.new_inbound == 1
    conversation = Conversation.objects.get(account=good)
    assert conversation.renter_name == RENTER  # The renter's data did flow through the pipeline.
    outbound_reply_manual(
        conversation=conversation, actor=agent, body="Thanks! The room is free in June.", idempotency_key="leak-1"
    )
    send_account_run(account_id=good.pk)
    client.set_fault("spareroom", good.username, "send_reject")
    outbound_reply_manual(
        conversation=conversation, actor=agent, body="Would Tuesday at 6pm suit you?", idempotency_key="leak-2"
    )
    send_account_run(account_id=good.pk)
    try:
        ingest_account_run(account_id=bad.pk)
    except ConnectorError as exc:
        ingest_deadletter(account_id=bad.pk, error=exc, attempts=1)
    assert OutboundMessage.objects.filter(account=good, status="sent").exists()
    assert DeadLetter.objects.filter(account=good, stage="send").exists(), "the rejected send was not dead-lettered"
    assert PlatformAccount.objects.get(pk=bad.pk).disabled_reason.startswith("AuthFailed")

    # then: read every place a secret could end up
    metrics_text = scrape_metrics()
    places: dict[str, str] = {
        "logs": caplog.text + "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records),
        "audit": json.dumps(list(AuditLog.objects.values()), default=str),
        "metrics": metrics_text,
        "attempts": json.dumps(list(DispatchAttempt.objects.values("error_message", "detail")), default=str),
        "dead letters": json.dumps(list(DeadLetter.objects.values("error_message", "payload")), default=str),
        "account health": json.dumps(
            list(PlatformAccount.objects.values("disabled_reason", "last_error_class", "credential_ref")), default=str
        ),
        "outbound errors": json.dumps(list(OutboundMessage.objects.values("last_error", "hold_reasons")), default=str),
    }
    failures_dir = Path(runtime.state_dir) / "failures"
    saved = (
        {p.name: p.read_text(errors="replace") for p in failures_dir.glob("*.html")} if failures_dir.exists() else {}
    )
    leaks = [
        (secret, where)
        for where, text in places.items()
        for secret in (PASSWORD, WRONG_PASSWORD, RENTER, RENTER_EMAIL, RENTER_PHONE, "Quixotewright")
        if secret in text
    ]
    leaks += [
        (secret, f"saved page {name}")
        for name, text in saved.items()
        for secret in (PASSWORD, WRONG_PASSWORD)
        if secret in text
    ]
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert AuditLog.objects.count() > 5
    assert "leasebot_jobs_total" in metrics_text
    assert leaks == []
    # The session state (cookies: a secret) is private to the worker's user.
    for state in Path(runtime.state_dir).glob("*.json"):
        assert oct(state.stat().st_mode & 0o777) == "0o600"
