"""What every outbound text passes: cleaned (a person's unsafe text refused), judged by the guardrails, fingerprinted."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from inbox.choices import ReasonCode
from inbox.guardrails import check_text
from inbox.holds import HoldReason
from leasebot.core.exceptions import ValidationFailed
from leasebot.core.text import strip_unsafe, unsafe_characters

Actor = AbstractBaseUser | AnonymousUser | None


MAX_BODY = 4000


def body_hash(body: str) -> str:
    """Return the fingerprint used to compare idempotent requests."""
    return hashlib.sha256(body.encode()).hexdigest()


def guardrail_reasons(body: str, *, inbound_text: str = "") -> list[HoldReason]:
    """Return the guardrail flags of a text as typed reasons (empty when clean)."""
    result = check_text(body, inbound_text=inbound_text)
    return [HoldReason.of(ReasonCode.GUARDRAIL, flag.reason, category=flag.category) for flag in result.flags]


def clean_body(body: str, *, by_person: bool = True) -> str:
    """Return the text to store; refuse an empty, long or (a person's) unsafe text.

    A person's text with a bidi override or a control character is refused with their
    names; the bot's text (templates filled with renter-supplied values, or the LLM's) is
    cleaned instead, so the bot never emits them (``leasebot.core.text``).
    """
    if not isinstance(body, str):
        raise ValidationFailed("the message body must be a string", field="body")
    if by_person:
        unsafe = unsafe_characters(body)
        if unsafe:
            raise ValidationFailed(
                f"the message body contains characters a reply may not carry: {', '.join(unsafe)}", field="body"
            )
    text = strip_unsafe(body).strip()
    if not text:
        raise ValidationFailed("the message body is empty", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed(f"the message body is longer than {MAX_BODY} characters", field="body")
    return text


def actor_or_none(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
