"""Every write about a conversation, one module per seam, gathered here so callers import one name.

- ``store``: what ingest read, stored once; our own messages recognised (ingest commits both together).
- ``decide``: one decision and at most one reply per burst of inbound messages.
- ``bursts``: which messages are answered together, and which earlier reply the new one supersedes.
- ``escalation``: the one door that puts a conversation in front of a person.
- ``outbox``: the one door for outbound rows (create, review, approve, sent, back to review).
- ``followups``: the bot's nudges after silence, and an agent's pause of them.
- ``lead``: the lead profile's qualification answers (recorded by the engine, corrected by agents).
- ``showing_life``: a booked showing's confirmation, reminder, and the application or new times after it.
- ``handover``: an agent takes a conversation over and gives it back.
- ``templates``: versioned reply templates.
- ``review``: the review desk's notes, assignment and canned replies.
- ``status``: the agents' status of a conversation (resolve, snooze, reopen) and their unit link.
- ``triage``: bulk approve / reject / assign of queue items, each checked against the version
  shown and passed to the doors above (``inbox.services.triage``, not re-exported).
Showings live in ``inbox.showings`` and the suppression list in ``inbox.suppression``.
"""

from inbox.linkage import conversation_link
from inbox.services.bursts import Burst, burst_of
from inbox.services.decide import decisions_due, inbound_decide
from inbox.services.escalation import conversation_clear_escalation, conversation_escalate, conversation_is_silenced
from inbox.services.followups import conversation_follow_ups_pause, followups_due, schedule_follow_up
from inbox.services.handover import conversation_hand_back, conversation_take_over
from inbox.services.lead import QUALIFICATION_FIELDS, lead_profile_record, lead_qualification_edit
from inbox.services.outbox import (
    body_hash,
    bot_may_auto_send,
    guardrail_reasons,
    outbound_approve,
    outbound_cancel_for_conversation,
    outbound_create,
    outbound_edit,
    outbound_hold_for_accounts,
    outbound_mark_sent,
    outbound_mark_unknown,
    outbound_reject,
    outbound_reply_manual,
    outbound_resolve_unknown,
    outbound_return_to_review,
    outbound_supersedable,
    outbound_supersede,
)
from inbox.services.review import (
    agent_may_work_on,
    assignable_agents,
    canned_reply_create,
    canned_reply_delete,
    canned_reply_update,
    conversation_assign,
    note_create,
)
from inbox.services.showing_life import showing_steps_report, showings_due
from inbox.services.status import (
    conversation_link_unit,
    conversation_reopen,
    conversation_resolve,
    conversation_snooze,
)
from inbox.services.store import Stored, decision_failed, message_store, outbound_seen
from inbox.services.templates import reply_template_save, template_preview
from inbox.showings import (
    showing_book,
    showing_book_at,
    showing_cancel,
    showing_confirm,
    showing_mark_outcome,
    showing_reschedule,
)
from inbox.suppression import suppression_add, suppression_lift

__all__ = [
    "QUALIFICATION_FIELDS",
    "Burst",
    "Stored",
    "agent_may_work_on",
    "assignable_agents",
    "body_hash",
    "bot_may_auto_send",
    "burst_of",
    "canned_reply_create",
    "canned_reply_delete",
    "canned_reply_update",
    "conversation_assign",
    "conversation_clear_escalation",
    "conversation_escalate",
    "conversation_follow_ups_pause",
    "conversation_hand_back",
    "conversation_is_silenced",
    "conversation_link",
    "conversation_link_unit",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_snooze",
    "conversation_take_over",
    "decision_failed",
    "decisions_due",
    "followups_due",
    "guardrail_reasons",
    "inbound_decide",
    "lead_profile_record",
    "lead_qualification_edit",
    "message_store",
    "note_create",
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
    "outbound_seen",
    "outbound_supersedable",
    "outbound_supersede",
    "reply_template_save",
    "schedule_follow_up",
    "showing_book",
    "showing_book_at",
    "showing_cancel",
    "showing_confirm",
    "showing_mark_outcome",
    "showing_reschedule",
    "showing_steps_report",
    "showings_due",
    "suppression_add",
    "suppression_lift",
    "template_preview",
]
