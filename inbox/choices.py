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
