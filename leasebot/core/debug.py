"""The exception reporter filter: debug pages and error e-mails never show a credential.

Django's own filter hides settings and request variables by name only (API, AUTH, KEY,
PASS, SECRET, TOKEN, ...). A local debug page showed ``SANDBOX_FURNISHEDFINDER_MAILBOX``,
an ``imap://user:password@host`` URL, to anyone who could make the server fail (a login
body over 2.5 MB does). This filter also hides, wherever a value is shown (settings, the
request's META, which under runserver holds the whole environment, cookies, and the local
variables of every traceback frame):

- anything whose name says credential, mailbox, DSN, private or cookie, beside Django's names;
- any string that is or contains a URL with a password (``scheme://user:password@``);
- any credential reference (``env:NAME``, ``file:/path``): it tells where a secret lives.

And with ``DEBUG`` on, the debug page itself is shown only to a browser on this machine
(``LoopbackOnlyExceptionReporter``); any other client gets a plain error page.
"""

from __future__ import annotations

import ipaddress
import re
from types import FrameType
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# Django's names, and ours.
HIDDEN_NAMES = re.compile(
    "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|CRED|MAILBOX|DSN|PRIVATE|SESSION", flags=re.IGNORECASE
)
# A URL carrying a password (the user part may be empty, as in redis://:password@host).
CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.\-]*://[^/\s:@]*:[^/\s@]+@", flags=re.IGNORECASE)
# A credential reference as platforms.credentials reads them.
CREDENTIAL_REFERENCE = re.compile(r"^\s*(env|file):\S", flags=re.IGNORECASE)


def is_credential_value(value: object) -> bool:
    """Tell whether a value is or contains a credential URL or reference."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    return bool(CREDENTIAL_URL.search(value) or CREDENTIAL_REFERENCE.match(value))


class CredentialSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide by name as Django does (with more names), and by value: credential URLs and references."""

    hidden_settings = HIDDEN_NAMES

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        if is_credential_value(value):
            return self.cleansed_substitute
        return super().cleanse_setting(key, value)

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: FrameType) -> Any:
        return [
            (name, self._cleanse_frame_value(name, value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def _cleanse_frame_value(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and value == self.cleansed_substitute:
            return value
        if isinstance(value, dict | list | tuple):
            return self.cleanse_setting(name, value)
        if is_credential_value(value) or (isinstance(value, str) and HIDDEN_NAMES.search(name)):
            return self.cleansed_substitute
        return value


PLAIN_ERROR = "Server error. Details are shown only to a browser on the machine that runs lease-bot."


def is_loopback_client(request: HttpRequest | None) -> bool:
    """Tell whether a request came from this machine (127.0.0.0/8 or ::1)."""
    if request is None:
        return False
    try:
        return ipaddress.ip_address(str(request.META.get("REMOTE_ADDR", ""))).is_loopback
    except ValueError:
        return False


class LoopbackOnlyExceptionReporter(ExceptionReporter):
    """Show Django's debug page (filtered) to loopback clients only; reports by e-mail stay full."""

    def get_traceback_html(self) -> SafeString:
        if self.is_email or is_loopback_client(self.request):
            return super().get_traceback_html()
        return mark_safe(f"<!doctype html><title>Server error</title><p>{PLAIN_ERROR}</p>")  # noqa: S308 - constant text.

    def get_traceback_text(self) -> SafeString:
        if self.is_email or is_loopback_client(self.request):
            return super().get_traceback_text()
        return mark_safe(PLAIN_ERROR)  # noqa: S308 - constant text.
