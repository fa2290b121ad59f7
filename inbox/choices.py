"""Value sets of the inbox (also enforced as database CHECK constraints)."""

from django.db import models


class WorkflowOutcome(models.TextChoices):
    """Where the lead stands in the leasing funnel."""

    NEW = "new", "New"
    ENGAGED = "engaged", "Engaged"
    QUALIFIED = "qualified", "Qualified"
    APPLICATION = "application", "Application sent"
    NOT_INTERESTED = "not_interested", "Not interested"
    OPTED_OUT = "opted_out", "Opted out"
    SPAM = "spam", "Spam or scam"
    CLOSED = "closed", "Closed"


class ShowingState(models.TextChoices):
    """Where the showing handshake stands: offer, pick, confirm."""

    NONE = "none", "None"
    OFFERED = "offered", "Slots offered"
    BOOKED = "booked", "Booked"
    RESCHEDULING = "rescheduling", "Rescheduling"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


class FollowUpStage(models.TextChoices):
    """How far the follow-up ladder has gone for a silent renter."""

    NONE = "none", "None"
    FIRST = "first", "First follow-up"
    SECOND = "second", "Second follow-up"
    FINAL = "final", "Final follow-up"
    STOPPED = "stopped", "Stopped"


class Direction(models.TextChoices):
    """Who wrote a message: the renter (in) or our side (out)."""

    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class LinkageStatus(models.TextChoices):
    """How a conversation was tied to a listing and unit."""

    PENDING = "pending", "Not yet tried"
    BY_REFERENCE = "by_reference", "By platform listing reference"
    BY_TITLE = "by_title", "By title or address"
    UNLINKED = "unlinked", "Unlinked"
    AMBIGUOUS = "ambiguous", "Ambiguous"
    BY_AGENT = "by_agent", "Linked by an agent"


class ShowingStatus(models.TextChoices):
    """A booked showing's life."""

    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


class AvailabilityKind(models.TextChoices):
    """Weekly recurring windows, dated extra windows, and blocks of unavailability."""

    WEEKLY = "weekly", "Weekly window"
    OVERRIDE = "override", "Dated window"
    BLOCK = "block", "Unavailable"


class Intent(models.TextChoices):
    """What the renter wants, as the decision engine classifies one message."""

    GREETING = "greeting", "Greeting only"
    AVAILABILITY = "availability", "Availability"
    PRICE = "price", "Price"
    SHOWING_REQUEST = "showing_request", "Showing request"
    PICK_SLOT = "pick_slot", "Picks an offered slot"
    RESCHEDULE = "reschedule", "Reschedule a showing"
    CANCEL_SHOWING = "cancel_showing", "Cancel a showing"
    CONFIRM_SHOWING = "confirm_showing", "Confirms a booked showing"
    SHOWING_ATTENDED = "showing_attended", "Says the showing took place"
    SHOWING_MISSED = "showing_missed", "Says they missed the showing"
    APPLICATION = "application", "Application"
    PETS = "pets", "Pets"
    PARKING = "parking", "Parking"
    MOVE_IN_DATE = "move_in_date", "Move-in date"
    LEASE_TERMS = "lease_terms", "Lease terms"
    NOT_INTERESTED = "not_interested", "Not interested"
    SPAM_SCAM = "spam_scam", "Spam or scam"
    ABUSIVE = "abusive", "Abusive"
    OFF_TOPIC = "off_topic", "Off-topic"
    OPT_OUT = "opt_out", "Opt-out"
    UNKNOWN = "unknown", "Unknown"


class ReasonCode(models.TextChoices):
    """Why a reply is held for a human (or not written at all): shown to agents and counted."""

    LOW_CONFIDENCE = "low_confidence", "Low confidence"
    HIGH_RISK = "high_risk", "High-risk message"
    AMBIGUOUS = "ambiguous", "Ambiguous request"
    GUARDRAIL = "guardrail", "Guardrail flagged the reply"
    OPT_OUT = "opt_out", "Renter opted out"
    NO_SLOT = "no_slot", "No showing slot available"
    UNKNOWN_INTENT = "unknown_intent", "Unknown intent"
    NO_TEMPLATE = "no_template", "No reply template"
    MISSING_FACT = "missing_fact", "A fact the reply needs is missing"
    UNLINKED = "unlinked", "Message not linked to a unit"
    ABUSIVE = "abusive", "Abusive message"
    SLOT_TAKEN = "slot_taken", "The picked slot was taken"
    TEMPLATE_REVIEW = "template_review", "Template always needs review"
    WORKFLOW_REFUSED = "workflow_refused", "A workflow transition was refused"
    NOT_ALLOWLISTED = "not_allowlisted", "First-live safety: not on the allow-list"
    STALE_INBOUND = "stale_inbound", "First-live safety: inbound too old to auto-send"
    HUMAN_REVIEW_OPEN = "human_review_open", "The conversation already waits for a human"
    LLM_DRAFT = "llm_draft", "Free text written by the LLM"
    LANGUAGE = "language", "The renter writes in a language the bot does not answer in"
    # Held or escalated by the outbox, the worker or a person rather than by the decision:
    HUMAN_REPLIED = "human_replied_on_platform", "A person replied on the platform"
    HUMAN_REQUIRED = "human_required", "The conversation waits for a human"
    TAKEN_OVER = "taken_over", "An agent took the conversation over"
    ACCOUNT_INACTIVE = "account_inactive", "The account may not run"
    SEND_MODE_CHANGED = "send_mode_changed", "The send mode changed before sending"
    DECISION_FAILED = "decision_failed", "The decision step failed"
    DEAD_LETTER = "dead_letter", "A send failed for good"
    OUTCOME_UNKNOWN = "outcome_unknown", "Not known whether the reply reached the platform"
    RENTER_WROTE = "renter_wrote", "The renter wrote while a person owns the conversation"
    LOCATOR_HEALING = "locator_healing", "A page element moved: a healed locator waits for acceptance"


class Language(models.TextChoices):
    """The language a renter writes in (a conversation's) or a template is written in (only en and es)."""

    EN = "en", "English"
    ES = "es", "Spanish"
    OTHER = "other", "Another language"


class TemplateKey(models.TextChoices):
    """Which part of a reply a template writes; most are one intent's answer."""

    OPENER = "opener", "Opening line"
    GREETING = "greeting", "Greeting"
    AVAILABILITY = "availability", "Availability"
    PRICE = "price", "Price"
    SHOWING_OFFER = "showing_offer", "Showing: offer slots"
    SHOWING_CONFIRMED = "showing_confirmed", "Showing: confirmed"
    SHOWING_SLOT_TAKEN = "showing_slot_taken", "Showing: picked slot taken"
    SHOWING_PICK_UNCLEAR = "showing_pick_unclear", "Showing: which slot?"
    SHOWING_CANCELLED = "showing_cancelled", "Showing: cancelled"
    SHOWING_MOVED = "showing_moved", "Showing: moved by an agent"
    SHOWING_CANCELLED_BY_AGENT = "showing_cancelled_by_agent", "Showing: cancelled by an agent"
    SHOWING_CONFIRM_REQUEST = "showing_confirm_request", "Showing: please confirm (the day before)"
    SHOWING_CONFIRM_THANKS = "showing_confirm_thanks", "Showing: thanks for confirming"
    SHOWING_REMINDER = "showing_reminder", "Showing: reminder (hours before)"
    SHOWING_NO_SHOW = "showing_no_show", "Showing: missed, new times"
    SHOWING_APPLICATION = "showing_application", "Showing: after it, the application"
    SHOWING_APPLICATION_NUDGE = "showing_application_nudge", "Showing: nudge to apply"
    NO_SLOT = "no_slot", "Showing: no slot free"
    APPLICATION = "application", "Application"
    PETS = "pets", "Pets"
    PARKING = "parking", "Parking"
    MOVE_IN_DATE = "move_in_date", "Move-in date"
    LEASE_TERMS = "lease_terms", "Lease terms"
    OFF_TOPIC = "off_topic", "Off-topic"
    UNKNOWN = "unknown", "Unknown request"
    UNLINKED = "unlinked", "Which listing?"
    ASK_MOVE_IN = "ask_move_in", "Qualification: ask move-in date"
    ASK_LEASE_LENGTH = "ask_lease_length", "Qualification: ask lease length"
    ASK_OCCUPANTS = "ask_occupants", "Qualification: ask how many will live there"
    ASK_PETS = "ask_pets", "Qualification: ask about pets"
    FIT_LEASE = "fit_lease", "Qualification: the minimum lease, as a fact"
    FIT_OCCUPANCY = "fit_occupancy", "Qualification: the occupancy limit, as a fact"
    SIGN_OFF = "sign_off", "Sign-off"
    FOLLOW_UP_FIRST = "follow_up_first", "Follow-up: first"
    FOLLOW_UP_SECOND = "follow_up_second", "Follow-up: second"
    FOLLOW_UP_FINAL = "follow_up_final", "Follow-up: final"
    LLM_PLAYBOOK = "llm_playbook", "LLM playbook (never sent)"


class AllowListKind(models.TextChoices):
    """First-live safety: what an allow-list entry admits to auto-send."""

    RENTER = "renter", "Renter"
    LISTING = "listing", "Listing"


class OutboundStatus(models.TextChoices):
    """The outbox status flow: draft/pending_review -> queued -> sending -> sent, or failed -> dead."""

    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Held for review"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    UNKNOWN = "unknown", "Outcome unknown"  # Maybe sent: a person decides from the evidence, never a blind resend.
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DEAD = "dead", "Dead letter"
    BLOCKED = "blocked", "Blocked by guardrail"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = frozenset({OutboundStatus.SENT, OutboundStatus.DEAD, OutboundStatus.BLOCKED, OutboundStatus.CANCELLED})
REVIEWABLE_STATUSES = frozenset({OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.FAILED})


class Purpose(models.TextChoices):
    """Why an outbound exists; part of its dispatch key."""

    REPLY = "reply", "Reply"
    FOLLOW_UP = "follow_up", "Follow-up"
    CONFIRMATION = "confirmation", "Showing confirmation"
    REMINDER = "reminder", "Showing reminder"
    AFTER_SHOWING = "after_showing", "After the showing"
    MANUAL = "manual", "Agent reply"


class Source(models.TextChoices):
    """Who wrote the text."""

    BOT = "bot", "Bot"
    AGENT = "agent", "Agent"


class ConversationStatus(models.TextChoices):
    """Where a conversation stands for the agents (not the bot's workflow): set by people, woken by renters."""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    SNOOZED = "snoozed", "Snoozed"
