"""Logins: session reuse, credentials, passwordless codes, operator-only accounts, no stray traffic."""

from __future__ import annotations

import logging
import stat

import pytest

from platforms.connectors.errors import AuthFailed, NeedsOperatorLogin
from platforms.connectors.registry import build_connector
from platforms.guard import Guard

pytestmark = pytest.mark.browser


def test_two_ingest_runs_log_in_once_even_from_a_fresh_context(make_account):
    # given
    acct = make_account("spareroom")
    acct.seed(renter_name="Bo", body="Hi there")

    # when: two runs, then a third in a brand-new context that only has the saved session file
    acct.connector.fetch_new_messages(None)
    acct.new_connector().fetch_new_messages(None)
    state_file = acct.runtime.state_path("spareroom", acct.config.account_id)
    acct.runtime.close_context("spareroom", acct.config.account_id)
    third = acct.new_connector()
    assert [m.body for m in third.fetch_new_messages(None)] == ["Hi there"]

    # then: one login at the platform; the session file is private and holds no password
    assert acct.stats()["logins"] == 1
    assert acct.connector.full_logins == 1
    assert third.full_logins == 0
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert acct.password not in state_file.read_text()


def test_wrong_password_is_auth_failed_and_the_password_never_leaks(
    make_account, monkeypatch, caplog, browser_state_dir
):
    acct = make_account("leasebreak")
    wrong = "definitely-wrong-Pa55"
    monkeypatch.setenv(acct.config.credential_ref.split(":", 1)[1], wrong)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthFailed) as caught:
        acct.connector.login()

    assert caught.value.disables_account
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value.extra)
    assert wrong not in caplog.text
    assert acct.stats()["failed_logins"] == 1
    for saved in (browser_state_dir / "failures").glob(f"*-{acct.config.account_id}-*"):
        assert wrong.encode() not in saved.read_bytes()


def test_missing_credential_is_auth_failed_without_a_request(make_account, monkeypatch):
    acct = make_account("renthop")
    monkeypatch.delenv(acct.config.credential_ref.split(":", 1)[1])

    with pytest.raises(AuthFailed, match="is not set"):
        acct.connector.login()
    assert acct.stats()["requests"] == 0


def test_furnished_finder_logs_in_with_the_code_read_over_imap(make_account):
    acct = make_account("furnishedfinder")
    acct.seed(renter_name="Nurse Kim", body="sent a Booking Request and is interested in booking your property")

    messages = acct.connector.fetch_new_messages(None)

    assert [m.sender_name for m in messages] == ["Nurse Kim"]
    assert acct.stats()["logins"] == 1
    # The code was used once and is gone.
    assert acct.client.login_codes("furnishedfinder", acct.username) == []


def test_furnished_finder_without_a_mailbox_needs_an_operator(make_account):
    acct = make_account("furnishedfinder", with_mailbox=False)

    with pytest.raises(NeedsOperatorLogin):
        acct.connector.login()


def test_operator_account_with_a_lapsed_session_never_tries_to_log_in(make_account):
    acct = make_account("roomies", login_method="operator")

    with pytest.raises(NeedsOperatorLogin):
        acct.connector.fetch_new_messages(None)
    assert acct.stats()["logins"] == 0
    assert acct.stats()["failed_logins"] == 0


def test_building_a_connector_sends_no_traffic(make_account, sandbox_client, fast_guard_settings):
    acct = make_account("spareroom")
    before = sandbox_client.request_count("spareroom")

    connector = build_connector(acct.config, runtime=acct.runtime, guard=Guard(account_id=acct.config.account_id))

    assert connector.platform == "spareroom"
    assert sandbox_client.request_count("spareroom") == before
    assert acct.stats()["requests"] == 0
