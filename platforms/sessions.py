"""Where browser sessions live between jobs: sealed in the shared database, or in files.

A session (Playwright's ``storage_state``: cookies and local storage) is a credential. The
**database** store (``LEASEBOT_SESSION_STORE=database``, what workers use) keeps it encrypted
with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``) under a key derived from
``LEASEBOT_SESSION_KEY``, so any worker on any machine serves any account with the session the
last one saved, and a stolen database dump holds no usable cookie. Old keys stay readable
through ``LEASEBOT_SESSION_KEY_FALLBACKS`` (rotation: add the new key, move the old one to
the fallbacks; sessions are re-sealed with the new key as they are saved). A session is
written only when it changed (a keyed digest of the plain state). A session that cannot be
opened (a key that was dropped) counts as none: the account logs in again.

The **files** store (one ``<platform>-<account>.json`` per account, mode 0600, under a
directory) is for a single machine and for tests that drive a connector without a database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)


class SessionStore(Protocol):
    """Load, save and forget one account's browser session."""

    def load(self, platform: str, account_id: int) -> dict[str, Any] | None: ...

    def save(self, platform: str, account_id: int, state: dict[str, Any]) -> bool: ...

    def forget(self, platform: str, account_id: int) -> None: ...

    def where(self, platform: str, account_id: int) -> str: ...


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, atomically (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class FileSessionStore:
    """Sessions as private JSON files in one directory (one machine)."""

    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir)

    def path(self, platform: str, account_id: int) -> Path:
        return self.state_dir / f"{platform}-{int(account_id)}.json"

    def load(self, platform: str, account_id: int) -> dict[str, Any] | None:
        path = self.path(platform, account_id)
        if not path.exists():
            return None
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            logger.warning("browser: unreadable session state for %s/%s, starting clean", platform, account_id)
            path.unlink(missing_ok=True)
            return None
        return state if isinstance(state, dict) else None

    def save(self, platform: str, account_id: int, state: dict[str, Any]) -> bool:
        """Write the session unless the file already holds the same; return whether it was written."""
        data = json.dumps(state, sort_keys=True).encode()
        path = self.path(platform, account_id)
        if self._stored(path) == data:
            return False
        write_private(path, data)
        return True

    @staticmethod
    def _stored(path: Path) -> bytes | None:
        """What the file holds now; None when it is not there yet (or unreadable), so it is written."""
        try:
            return path.read_bytes()
        except OSError:
            return None

    def forget(self, platform: str, account_id: int) -> None:
        self.path(platform, account_id).unlink(missing_ok=True)

    def where(self, platform: str, account_id: int) -> str:
        return f"{self.path(platform, account_id)} (mode 0600)"


def _fernet_key(secret: str) -> bytes:
    """A Fernet key derived from a configured secret of any length (SHA-256, domain-separated)."""
    return base64.urlsafe_b64encode(hashlib.sha256(b"leasebot browser session\x00" + secret.encode()).digest())


def _sealer() -> MultiFernet:
    keys = [settings.LEASEBOT_SESSION_KEY, *settings.LEASEBOT_SESSION_KEY_FALLBACKS]
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys if k])


def seal(state: dict[str, Any]) -> bytes:
    """Encrypt a session under the current key."""
    return _sealer().encrypt(json.dumps(state, sort_keys=True).encode())


def unseal(sealed: bytes) -> dict[str, Any]:
    """Decrypt a session sealed under the current key or a fallback; :class:`InvalidToken` otherwise."""
    state = json.loads(_sealer().decrypt(bytes(sealed)))
    if not isinstance(state, dict):
        raise InvalidToken
    return state


def digest(state: dict[str, Any]) -> str:
    """A keyed digest of the plain session: equal when nothing changed, telling nothing about the cookies."""
    key = hashlib.sha256(b"leasebot session digest\x00" + settings.LEASEBOT_SESSION_KEY.encode()).digest()
    return hmac.new(key, json.dumps(state, sort_keys=True).encode(), hashlib.sha256).hexdigest()


class DatabaseSessionStore:
    """Sessions sealed in ``platforms.BrowserSession``, shared by every worker."""

    def load(self, platform: str, account_id: int) -> dict[str, Any] | None:
        from platforms.models import BrowserSession

        row = BrowserSession.objects.filter(account_id=account_id).only("sealed").first()
        if row is None:
            return None
        try:
            return unseal(row.sealed)
        except (InvalidToken, ValueError):
            logger.warning(
                "browser: the saved session of %s/%s cannot be opened (key changed?); logging in again",
                platform,
                account_id,
            )
            return None

    def save(self, platform: str, account_id: int, state: dict[str, Any]) -> bool:
        """Seal and store the session unless it is unchanged; return whether it was written."""
        from platforms.models import BrowserSession

        fingerprint = digest(state)
        if BrowserSession.objects.filter(account_id=account_id, digest=fingerprint).exists():
            return False
        BrowserSession.objects.update_or_create(
            account_id=account_id,
            defaults={"sealed": seal(state), "digest": fingerprint, "saved_by": socket.gethostname()[:128]},
        )
        return True

    def forget(self, platform: str, account_id: int) -> None:
        from platforms.models import BrowserSession

        BrowserSession.objects.filter(account_id=account_id).delete()

    def where(self, platform: str, account_id: int) -> str:
        return "the database (encrypted), shared by every worker"


def default_store(state_dir: Path | str | None = None) -> SessionStore:
    """The store a runtime uses: an explicit directory means files; else ``LEASEBOT_SESSION_STORE``."""
    if state_dir is not None or settings.LEASEBOT_SESSION_STORE == "files":
        return FileSessionStore(state_dir or settings.LEASEBOT_STATE_DIR)
    return DatabaseSessionStore()
