"""What platforms announce about accounts, for the layers above to act on.

Platforms imports no layer above it; the inbox connects to :data:`accounts_stopped` to send
a stopped account's queued replies back to review at once (the send sweep does the same
within one tick should a receiver ever be missing).
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent inside the transaction that stops accounts (switched off, disabled, or drifted),
#: with ``account_ids`` (list of int) and ``reason`` (str, no secret, no renter text).
accounts_stopped = Signal()
