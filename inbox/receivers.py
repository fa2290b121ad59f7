"""Receivers of the signals of the layers below: connected once, when the app is ready."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from inbox.services.outbox import outbound_hold_for_accounts
from platforms.events import accounts_stopped


@receiver(accounts_stopped, dispatch_uid="inbox.hold_replies_of_stopped_accounts")
def hold_replies_of_stopped_accounts(sender: Any, *, account_ids: list[int], reason: str, **kwargs: Any) -> None:
    """A stopped account's queued replies go back to review at once: no send job will come for them."""
    outbound_hold_for_accounts(account_ids=account_ids, reason=reason)
