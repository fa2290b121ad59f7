"""Read an e-mailed one-time login code over IMAP.

The mailbox is named by a credential reference (``env:FF_MAILBOX``) whose value is a URL,
``imap://user:password@host:port/INBOX`` (or ``imaps://`` for TLS, the default port
993). It is resolved only here, at the moment of use, and never logged.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlparse

from platforms.connectors.errors import AuthFailed, Transient
from platforms.credentials import CredentialUnavailable, resolve_credential


@dataclass(frozen=True)
class MailboxURL:
    """A parsed mailbox reference (holds the password: never log it)."""

    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @classmethod
    def parse(cls, url: str) -> MailboxURL:
        parts = urlparse(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise AuthFailed("the mailbox reference is not an imap:// or imaps:// URL with a user")
        secure = parts.scheme == "imaps"
        return cls(
            secure=secure,
            host=parts.hostname,
            port=parts.port or (993 if secure else 143),
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )


def _text_of(message: email.message.Message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(part.get_content())  # type: ignore[attr-defined]
            except (LookupError, UnicodeDecodeError):
                continue
    return "\n".join([str(message.get("Subject", "")), *parts])


def read_login_code(
    mailbox_ref: str,
    *,
    sent_after: datetime,
    sender_contains: str,
    code_pattern: str,
    timeout: float = 60.0,
    poll: float = 1.0,
) -> str:
    """Wait for the newest unread code e-mail from ``sender_contains`` sent after ``sent_after``; return the code.

    The mail is marked seen so the code is never used twice.
    """
    try:
        mailbox = MailboxURL.parse(resolve_credential(mailbox_ref))
    except CredentialUnavailable as exc:
        raise AuthFailed(f"mailbox reference: {exc.message}") from None
    pattern = re.compile(code_pattern)
    not_before = sent_after - timedelta(seconds=60)  # Mail servers' clocks and whole-second Date headers.
    deadline = time.monotonic() + timeout
    while True:
        code = _look_once(mailbox, pattern, sender_contains, not_before)
        if code is not None:
            return code
        if time.monotonic() + poll > deadline:
            raise Transient(f"no login code e-mail arrived within {timeout:.0f}s")
        time.sleep(poll)


def _look_once(mailbox: MailboxURL, pattern: re.Pattern[str], sender: str, not_before: datetime) -> str | None:
    client: imaplib.IMAP4
    try:
        if mailbox.secure:
            client = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=10)
        else:
            client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=10)
    except OSError:
        raise Transient("the mailbox server cannot be reached") from None
    try:
        try:
            client.login(mailbox.user, mailbox.password)
        except imaplib.IMAP4.error:
            raise AuthFailed("the mailbox refused its credentials") from None
        status, _ = client.select(mailbox.folder)
        if status != "OK":
            raise AuthFailed("the mailbox folder cannot be opened")
        status, data = client.search(None, "UNSEEN", "FROM", f'"{sender}"')
        if status != "OK":
            raise Transient("the mailbox search failed")
        for number in reversed((data[0] or b"").split()):
            status, fetched = client.fetch(number.decode(), "(BODY.PEEK[])")
            if status != "OK" or not fetched or not isinstance(fetched[0], tuple):
                continue
            message = email.message_from_bytes(fetched[0][1], policy=email.policy.default)
            try:
                sent = parsedate_to_datetime(str(message.get("Date", "")))
            except (TypeError, ValueError):
                continue
            if sent.tzinfo is None or sent < not_before:
                continue
            match = pattern.search(_text_of(message))
            if match:
                client.store(number.decode(), "+FLAGS", "(\\Seen)")
                return match.group(1)
        return None
    except (imaplib.IMAP4.error, OSError):
        raise Transient("the mailbox conversation failed") from None
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
