"""Credential references: the only form in which a secret is ever stored.

A reference names where the secret lives (``env:LEASEBOT_CRED_SPAREROOM`` or
``file:/run/secrets/spareroom``); it is resolved at the moment of use and never stored,
logged or put in an exception message resolved.

An account's reference is written by an admin, and a worker types what it resolves to into
a web form, so it may name only what is meant to hold a platform credential: a variable
whose name starts with one of ``LEASEBOT_CREDENTIAL_ENV_PREFIXES``, or a file inside
``LEASEBOT_SECRETS_DIR`` (after resolving links). ``env:SECRET_KEY`` or
``file:/proc/self/environ`` are refused on save (``validate_credential_ref``) and again at
use (``CredentialRefused``), whatever the settings say for the process's own secrets
(``PROCESS_SECRETS``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from leasebot.core.exceptions import LeasebotError

# Kept in step with the CHECK constraint on PlatformAccount.
REFERENCE_PATTERN = r"^(env:[A-Z_][A-Z0-9_]{0,127}|file:/[^\s]{1,255})$"
_REFERENCE_RE = re.compile(REFERENCE_PATTERN)


class CredentialUnavailable(LeasebotError):
    """A reference points at nothing: the variable or file is missing."""

    default_message = "credential reference cannot be resolved"


class CredentialRefused(CredentialUnavailable):
    """A reference names something that is not a platform credential (a process secret, /proc, ...)."""

    default_message = "credential reference is not allowed"


#: The process's own secrets and connections: never an account's credential, whatever the prefixes.
PROCESS_SECRETS = frozenset(
    {
        "SECRET_KEY",
        "LEASEBOT_SUPPRESSION_KEY",
        "LEASEBOT_SUPPRESSION_KEY_FALLBACKS",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "EMAIL_URL",
        "SENTRY_DSN",
        "LEASEBOT_LLM_API_KEY_REF",
    }
)


def reference_refusal(reference: str) -> str | None:
    """Return why an account may not use a reference (None: it may), without resolving it."""
    if not _REFERENCE_RE.match(reference or ""):
        return "not a credential reference"
    kind, _, name = reference.partition(":")
    if kind == "env":
        prefixes = tuple(settings.LEASEBOT_CREDENTIAL_ENV_PREFIXES)
        if name in PROCESS_SECRETS or not name.startswith(prefixes):
            allowed = ", ".join(f"{p}..." for p in prefixes if p) or "any other name"
            return f"environment variable {name} is not a platform credential (use {allowed})"
        return None
    secrets_dir = Path(settings.LEASEBOT_SECRETS_DIR).resolve()
    path = Path(name).resolve()
    if not path.is_relative_to(secrets_dir) or path == secrets_dir:
        return f"secret files must be inside {secrets_dir}"
    return None


def validate_credential_ref(value: str) -> None:
    """Refuse anything that is not an allowed reference, without echoing a secret back."""
    if not _REFERENCE_RE.match(value or ""):
        raise ValidationError(
            "Enter a reference such as env:LEASEBOT_CRED_SPAREROOM or file:/run/secrets/name; "
            "plain passwords are never stored.",
            code="not_a_reference",
        )
    refusal = reference_refusal(value)
    if refusal is not None:
        raise ValidationError(f"This reference is not allowed: {refusal}.", code="reference_not_allowed")


def resolve_credential(reference: str, *, account: bool = True) -> str:
    """Return the secret a reference names; raise without revealing any part of it.

    An account's reference (the default) is checked again here, so a row saved before the
    rules or written around the admin still cannot reach a process secret. ``account=False``
    is for references from the deployment's own settings (the LLM key), which an admin
    cannot edit.
    """
    if not _REFERENCE_RE.match(reference or ""):
        raise CredentialUnavailable("not a credential reference")
    if account:
        refusal = reference_refusal(reference)
        if refusal is not None:
            raise CredentialRefused(refusal, reference=reference)
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
