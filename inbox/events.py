"""What the inbox announces for the layers above to act on (it imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent inside an erasure's transaction with ``outbound_ids`` (list of int): every row that
#: keeps a copy of those replies' text elsewhere (the worker layer's dead letters and attempt
#: ledger) must drop it. Each receiver answers a dict of counts, e.g. ``{"dead_letters": 1}``.
outbound_erased = Signal()
