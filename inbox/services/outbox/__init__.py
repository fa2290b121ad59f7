"""The outbox's life: create, edit, approve, reject, manual replies, sent, back to review.

The one door for every write to an outbound row except the send job's own lease (claim,
fail, requeue), which the worker layer keeps. Every text, the bot's or an agent's, passes
the guardrails here on the server. A row's ``dispatch_key`` makes creation idempotent: the
same cause returns the same row.

One module per seam, gathered here so callers import one name:

- ``text``: what every text passes (cleaning, the guardrails' reasons, its fingerprint);
- ``create``: a reply comes into being, its status from the policies;
- ``review``: a person's actions (edit, approve, reject, their own reply, an unknown outcome settled);
- ``withdraw``: replies taken off the send path (withdrawn, held, returned to review);
- ``sent``: what became of a send (``sent`` with the receipt, or ``unknown``).
"""

from inbox.services.outbox.create import bot_may_auto_send, outbound_create
from inbox.services.outbox.review import (
    outbound_approve,
    outbound_edit,
    outbound_reject,
    outbound_reply_manual,
    outbound_resolve_unknown,
)
from inbox.services.outbox.sent import outbound_mark_sent, outbound_mark_unknown
from inbox.services.outbox.text import body_hash, guardrail_reasons
from inbox.services.outbox.withdraw import (
    outbound_cancel_for_conversation,
    outbound_hold_for_accounts,
    outbound_return_to_review,
    outbound_supersedable,
    outbound_supersede,
)

__all__ = [
    "body_hash",
    "bot_may_auto_send",
    "guardrail_reasons",
    "outbound_approve",
    "outbound_cancel_for_conversation",
    "outbound_create",
    "outbound_edit",
    "outbound_hold_for_accounts",
    "outbound_mark_sent",
    "outbound_mark_unknown",
    "outbound_reject",
    "outbound_reply_manual",
    "outbound_resolve_unknown",
    "outbound_return_to_review",
    "outbound_supersedable",
    "outbound_supersede",
]
