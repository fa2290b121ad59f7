"""Credential references: the only form in which a secret is ever stored.

A reference names where the secret lives (``env:SPAREROOM_PASSWORD`` or
``file:/run/secrets/spareroom``); it is resolved at the moment of use and never stored,
logged or put in an exception message resolved.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ValidationError

from leasebot.core.exceptions import LeasebotError

# Kept in step with the CHECK constraint on PlatformAccount.
REFERENCE_PATTERN = r"^(env:[A-Z_][A-Z0-9_]{0,127}|file:/[^\s]{1,255})$"
_REFERENCE_RE = re.compile(REFERENCE_PATTERN)


class CredentialUnavailable(LeasebotError):
    """A reference points at nothing: the variable or file is missing."""

    default_message = "credential reference cannot be resolved"


def validate_credential_ref(value: str) -> None:
    """Refuse anything that is not a reference, without echoing the value back."""
    if not _REFERENCE_RE.match(value or ""):
        raise ValidationError(
            "Enter a reference such as env:SPAREROOM_PASSWORD or file:/run/secrets/name; "
            "plain passwords are never stored.",
            code="not_a_reference",
        )


def resolve_credential(reference: str) -> str:
    """Return the secret a reference names; raise without revealing any part of it."""
    if not _REFERENCE_RE.match(reference or ""):
        raise CredentialUnavailable("not a credential reference")
    kind, _, name = reference.partition(":")
    if kind == "env":
        value = os.environ.get(name)
        if not value:
            raise CredentialUnavailable(f"environment variable {name} is not set", reference=reference)
        return value
    path = Path(name)
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise CredentialUnavailable(f"secret file {name} cannot be read", reference=reference) from exc


def reference_is_resolvable(reference: str) -> bool:
    """Tell whether a reference resolves now (for preflight and health), without keeping the secret."""
    try:
        resolve_credential(reference)
    except CredentialUnavailable:
        return False
    return True
