"""``connector_check`` (live and offline) and ``operator_login`` against the sandbox."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from platforms.connectors.registry import build_connector
from platforms.guard import Guard
from platforms.models import HealingEvent, Platform, PlatformAccount
from platforms.selectors import account_config

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _forget_row_sessions(browser_runtime):
    """Commands key sessions by the row's id: drop those sessions after each test."""
    yield
    for row in PlatformAccount.objects.all():
        browser_runtime.forget_session(row.platform.slug, row.pk)


def _row(acct, *, label="main", is_active=True):
    platform = Platform.objects.get(slug=acct.platform)
    return PlatformAccount.objects.create(
        platform=platform,
        label=label,
        username=acct.username,
        credential_ref=acct.config.credential_ref,
        login_method=acct.config.login_method,
        mailbox_ref=acct.config.mailbox_ref,
        base_url=acct.config.base_url,
        is_active=is_active,
    )


def _run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_connector_check_logs_in_reads_and_reports_locators_without_sending(make_account):
    acct = make_account("spareroom")
    for i in range(4):
        acct.seed(renter_name=f"Renter {i}", body=f"question {i}", listing_ref=str(900 + i))
    row = _run_row = _row(acct)

    output = _run("connector_check", f"spareroom/{row.label}")

    assert "found 4 messages in 4 threads" in output
    assert "login: full login" in output
    assert "ok        inbox.rows" in output
    assert "ok        login.password" in output
    assert acct.sent() == []
    report = json.loads(_run("connector_check", str(_run_row.pk), "--json"))
    assert report["login"] == "reused saved session"
    assert report["locators"]["thread.messages.body"]["matched"] == "dd.message_body"
    # The reply form is looked at (its fingerprint kept for healing), never typed into or clicked.
    assert report["locators"]["reply.submit"]["matched"] == "button[name='btnSubmit']"
    assert acct.sent() == []


def test_connector_check_refuses_a_switched_off_account_unless_asked(make_account):
    acct = make_account("renthop")
    row = _row(acct, is_active=False)

    with pytest.raises(CommandError, match="switched off"):
        _run("connector_check", str(row.pk))
    assert acct.stats()["requests"] == 0
    assert "found 0 messages" in _run("connector_check", str(row.pk), "--even-if-inactive")


def test_connector_check_reports_drift_and_fails(make_account):
    acct = make_account("roomies")
    acct.seed(renter_name="Ana", body="hi")
    row = _row(acct)
    acct.fault("drift")

    out = io.StringIO()
    with pytest.raises(CommandError, match="SelectorDrift"):
        call_command("connector_check", str(row.pk), stdout=out)
    assert "MISSING   inbox.rows" in out.getvalue()


def _save_pages(acct, folder, *, drift=False):
    seeded = acct.seed(renter_name="Lee", body="Is parking included?", listing_ref="4242")
    acct.client.add_outbound(acct.platform, acct.username, thread_id=seeded["thread_id"], body="Yes, one spot.")
    page = acct.runtime.page(acct.platform, acct.config.account_id)
    page.goto(acct.connector.url("login"))
    (folder / "login.html").write_text(page.content())
    acct.connector.login()
    if drift:
        acct.fault("drift")
    page.goto(acct.connector.url("inbox", page=1))
    (folder / "inbox.html").write_text(page.content())
    page.goto(acct.connector.url("thread", thread_ref=seeded["thread_id"]))
    (folder / "saved-conversation.html").write_text(page.content())


@pytest.mark.parametrize("platform", ["spareroom", "leasebreak", "furnishedfinder"])
def test_connector_check_html_checks_saved_pages_offline(platform, make_account, tmp_path):
    acct = make_account(platform)
    _save_pages(acct, tmp_path)
    requests = acct.client.request_count(platform)

    report = json.loads(_run("connector_check", "--html", str(tmp_path), "--platform", platform, "--json"))

    assert report["ok"], report["failures"]
    kinds = {p["file"]: p["kind"] for p in report["pages"]}
    assert kinds == {"inbox.html": "inbox", "login.html": "login", "saved-conversation.html": "thread"}
    thread = next(p for p in report["pages"] if p["kind"] == "thread")
    assert thread["summary"].startswith("2 messages (1 in, 1 out), listing 4242")
    assert acct.client.request_count(platform) == requests  # Offline means offline.


def test_connector_check_html_reads_saved_pages_in_the_zone_they_were_printed_in(make_account, tmp_path):
    acct = make_account("spareroom", time_zone="America/Los_Angeles")
    _save_pages(acct, tmp_path)
    newest = max(acct.threads()[0]["messages"], key=lambda m: m["sent_at"])["sent_at"]

    def newest_read(*zone: str) -> str:
        args = ("connector_check", "--html", str(tmp_path), "--platform", "spareroom", *zone, "--json")
        report = json.loads(_run(*args))
        return next(p for p in report["pages"] if p["kind"] == "thread")["summary"].split("newest ")[1].split()[0]

    sent = datetime.fromisoformat(newest)
    assert datetime.fromisoformat(newest_read("--time-zone", "America/Los_Angeles")) == sent
    # Without it, the Pacific wall time is read as New York's (the platform's zone): hours off.
    wall = sent.astimezone(ZoneInfo("America/Los_Angeles")).replace(tzinfo=None)
    assert datetime.fromisoformat(newest_read()) == wall.replace(tzinfo=ZoneInfo("America/New_York"))
    with pytest.raises(CommandError, match="not a known time zone"):
        call_command("connector_check", "--html", str(tmp_path), "--platform", "spareroom", "--time-zone", "Mars/Base")


def test_connector_check_html_names_the_locators_that_drifted(make_account, tmp_path):
    acct = make_account("renthop")
    _save_pages(acct, tmp_path, drift=True)

    out = io.StringIO()
    with pytest.raises(CommandError, match=r"inbox\.rows missing"):
        call_command("connector_check", "--html", str(tmp_path), "--platform", "renthop", stdout=out)
    assert "MISSING   inbox.rows" in out.getvalue()


def test_operator_login_with_a_typed_code_saves_the_session_workers_reuse(make_account):
    acct = make_account("furnishedfinder", with_mailbox=False)
    row = _row(acct)
    row.is_active = False
    row.needs_operator_login = True
    row.disabled_reason = "NeedsOperatorLogin"
    row.save()
    codes: list[str] = []

    # The "person" reads the code from the sandbox (their e-mail) when asked.
    def typed() -> str:
        codes.append(acct.client.login_codes("furnishedfinder", acct.username)[-1]["code"])
        return codes[-1]

    import platforms.management.commands.operator_login as command_module

    original = command_module.Command.code_prompt
    command_module.Command.code_prompt = lambda self, username, given: typed  # type: ignore[method-assign]
    try:
        output = _run("operator_login", str(row.pk), "--reactivate")
    finally:
        command_module.Command.code_prompt = original  # type: ignore[method-assign]

    assert "LOGGED IN" in output
    assert len(codes) == 1
    row.refresh_from_db()
    assert row.is_active
    assert not row.needs_operator_login
    # A worker without a mailbox now reads the inbox on the saved session, no login needed.
    acct.seed(renter_name="Kim", body="hello")
    worker = build_connector(account_config(row), runtime=acct.runtime, guard=Guard(account_id=row.pk))
    assert [m.body for m in worker.fetch_new_messages(None)] == ["hello"]
    assert worker.full_logins == 0
    assert acct.stats()["logins"] == 1


def test_operator_login_refuses_headed_mode_without_a_display(make_account, monkeypatch):
    acct = make_account("roomies", login_method="operator")
    row = _row(acct)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    with pytest.raises(CommandError, match="needs a display"):
        _run("operator_login", str(row.pk), "--headed")
    with pytest.raises(CommandError, match="social login"):
        _run("operator_login", str(row.pk))


def test_connector_check_lists_what_healed_and_proposes_from_saved_pages_only_when_asked(make_account, tmp_path):
    # given: an account read once on the classic pages (its fingerprints), then the site's renamed build
    acct = make_account("spareroom")
    seeded = acct.seed(renter_name="Ari", body="Is the room still free from the first of next month?")
    row = _row(acct)
    _run("connector_check", str(row.pk))
    acct.client.pin_trait("spareroom", acct.username, "layout", variant="renamed")
    page = acct.runtime.page(acct.platform, acct.config.account_id)
    acct.connector.login()
    page.goto(acct.connector.url("inbox", page=1))
    (tmp_path / "inbox.html").write_text(page.content())
    page.goto(acct.connector.url("thread", thread_ref=seeded["thread_id"]))
    (tmp_path / "thread.html").write_text(page.content())

    # when: the saved pages are checked without --propose
    report = json.loads(_run("connector_check", str(row.pk), "--html", str(tmp_path), "--json"))

    # then: what healed is listed with its score, and nothing is recorded
    thread = next(p for p in report["pages"] if p["file"] == "thread.html")["locators"]
    assert thread["thread.messages.body"]["source"] == "healed"
    assert thread["thread.messages.body"]["healed"]["score"] >= 0.7
    assert report["ok"]
    assert not HealingEvent.objects.exists()

    # when: with --propose, the healings become proposals
    _run("connector_check", str(row.pk), "--html", str(tmp_path), "--propose")
    assert {"thread.messages", "thread.messages.body"} <= set(HealingEvent.objects.values_list("key", flat=True))

    # and live, the report says what healed
    output = _run("connector_check", str(row.pk))
    assert "healed    thread.messages.body" in output
    assert "(healed, score" in output
    assert acct.sent() == []
