"""Receivers of the inbox's signals: the worker layer's part of an erasure."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from dispatch.models import DeadLetter, DispatchAttempt
from inbox.events import outbound_erased

#: What a dead letter keeps after an erasure: enough to know which job it was, no text.
DEAD_LETTER_KEEP = ("outbound_id", "dispatch_key", "account_id")


@receiver(outbound_erased, dispatch_uid="dispatch.scrub_erased_outbound")
def scrub_erased_outbound(sender: Any, *, outbound_ids: list[int], **kwargs: Any) -> dict[str, int]:
    """Drop the renter's words from the dead letters and attempts of erased replies; return the counts."""
    letters = 0
    for letter in DeadLetter.objects.select_for_update().filter(outbound_id__in=outbound_ids):
        letter.payload = {k: v for k, v in (letter.payload or {}).items() if k in DEAD_LETTER_KEEP}
        letter.error_message = ""
        letter.save(update_fields=["payload", "error_message"])
        letters += 1
    attempts = (
        DispatchAttempt.objects.filter(outbound_id__in=outbound_ids).exclude(error_message="").update(error_message="")
    )
    return {"dead_letters": letters, "attempts": attempts}
