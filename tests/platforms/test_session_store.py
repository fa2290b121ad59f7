"""Browser sessions kept between jobs: sealed in the database for every worker, or in private files."""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Any

import pytest

from platforms import sessions
from platforms.models import BrowserSession
from platforms.sessions import DatabaseSessionStore, FileSessionStore, default_store
from tests.platforms.factories import PlatformAccountFactory

STATE: dict[str, Any] = {
    "cookies": [{"name": "sr_session", "value": "s3cr3t-cookie-value", "domain": "127.0.0.1", "path": "/"}],
    "origins": [],
}


@pytest.mark.django_db
def test_a_session_is_sealed_in_the_database_and_opened_by_any_worker() -> None:
    account = PlatformAccountFactory()
    store = DatabaseSessionStore()
    assert store.load("spareroom", account.pk) is None
    assert store.save("spareroom", account.pk, STATE) is True
    row = BrowserSession.objects.get(account=account)
    # Sealed: the cookie's value is nowhere in what the database holds.
    assert b"s3cr3t-cookie-value" not in bytes(row.sealed)
    assert "s3cr3t" not in row.digest
    # Another worker (another store object, another process) opens it.
    assert DatabaseSessionStore().load("spareroom", account.pk) == STATE
    store.forget("spareroom", account.pk)
    assert not BrowserSession.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_an_unchanged_session_is_not_written_again() -> None:
    account = PlatformAccountFactory()
    store = DatabaseSessionStore()
    assert store.save("spareroom", account.pk, STATE) is True
    first = BrowserSession.objects.get(account=account).updated_at
    assert store.save("spareroom", account.pk, dict(STATE)) is False
    assert BrowserSession.objects.get(account=account).updated_at == first
    changed = {**STATE, "cookies": [{**STATE["cookies"][0], "value": "rotated"}]}
    assert store.save("spareroom", account.pk, changed) is True
    assert store.load("spareroom", account.pk) == changed


@pytest.mark.django_db
def test_a_rotated_key_still_opens_old_sessions_and_a_dropped_one_means_a_new_login(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    account = PlatformAccountFactory()
    store = DatabaseSessionStore()
    settings.LEASEBOT_SESSION_KEY = "old-key"
    store.save("spareroom", account.pk, STATE)
    # Rotation: the new key in front, the old one among the fallbacks.
    settings.LEASEBOT_SESSION_KEY = "new-key"
    settings.LEASEBOT_SESSION_KEY_FALLBACKS = ["old-key"]
    assert store.load("spareroom", account.pk) == STATE
    # The old key dropped: the session cannot be opened, which is no session (log in again), not an error.
    settings.LEASEBOT_SESSION_KEY_FALLBACKS = []
    caplog.set_level(logging.WARNING, logger="platforms.sessions")
    assert store.load("spareroom", account.pk) is None
    assert "cannot be opened" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_files_are_private_and_a_broken_file_is_no_session(tmp_path: Path) -> None:
    store = FileSessionStore(tmp_path)
    store.save("roomies", 5, STATE)
    path = store.path("roomies", 5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load("roomies", 5) == STATE
    path.write_text("{not json")
    assert store.load("roomies", 5) is None
    assert not path.exists()


def test_the_store_follows_the_setting_unless_a_directory_is_named(settings: Any, tmp_path: Path) -> None:
    settings.LEASEBOT_SESSION_STORE = "database"
    assert isinstance(default_store(), DatabaseSessionStore)
    assert isinstance(default_store(tmp_path), FileSessionStore)
    settings.LEASEBOT_SESSION_STORE = "files"
    assert isinstance(default_store(), FileSessionStore)
    assert sessions.seal(STATE) != sessions.seal(STATE)  # Fernet: a fresh IV each time.
