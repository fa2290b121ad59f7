"""The showing's life after booking: confirm, remind, then the application or new times, each step once.

``showings_due`` is swept with the follow-ups (beat ``inbox.follow_ups_sweep``, every 5 minutes):

- ``LEASEBOT_SHOWING_CONFIRM_HOURS`` before a booked showing (default 24: the day before), the
  renter is asked to confirm (``showing_confirm_request``); their answer is read by the engine
  (confirm, cancel, reschedule).
- ``LEASEBOT_SHOWING_REMINDER_HOURS`` before it (default 3), a reminder (``showing_reminder``).
- Once an agent (or the renter) marks it ``completed``: the application link
  (``showing_application``), and one nudge ``LEASEBOT_APPLICATION_NUDGE_HOURS`` later
  (``showing_application_nudge``) unless the renter wrote since or the lead closed.
- Once it is a ``no_show``: new times from the agents' real availability (``showing_no_show``);
  with none free, a person is asked (``no_slot``).

Every message here is one the bot starts, so none goes out inside the account's quiet hours
(``inbox.quiet_hours``): a step due at night waits for the next sweep after the window (a
confirmation or reminder whose showing starts first is simply not sent). Each message has its
own dispatch key (``showing_<step>:<showing>``) and each step its own time on the showing
(``showing_record_step``), so two beats never send one twice. Nothing is sent when the renter
opted out, an agent took the conversation over or answered on the platform; a conversation
waiting for a person gets the message held for review.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inbox.choices import (
    Direction,
    Language,
    Purpose,
    ReasonCode,
    ShowingState,
    ShowingStatus,
    TemplateKey,
    WorkflowOutcome,
)
from inbox.engine.base import DecisionContext
from inbox.engine.planner import format_slots, template_context
from inbox.holds import HoldReason
from inbox.language import missing_template_code, reply_language
from inbox.models import Conversation, Showing
from inbox.quiet_hours import quiet_hours_postpone
from inbox.selectors import templates_for_conversation, unit_facts
from inbox.services.escalation import conversation_escalate, conversation_is_silenced
from inbox.services.outbox import outbound_create
from inbox.showings import showing_record_step
from inbox.slots import find_slots
from inbox.suppression import conversation_is_suppressed
from inbox.templating import render_template
from inbox.workflow import transition
from leasebot.core.services import audit_record

#: Leads that are over: no nudge to apply.
_CLOSED = frozenset(
    {WorkflowOutcome.NOT_INTERESTED, WorkflowOutcome.OPTED_OUT, WorkflowOutcome.SPAM, WorkflowOutcome.CLOSED}
)
SHOWING_BATCH = 200


@dataclasses.dataclass(frozen=True)
class Step:
    """One message of the showing's life: its name (``SHOWING_STEPS``), template and purpose."""

    name: str
    template: str
    purpose: str


CONFIRM = Step("confirmation_requested", TemplateKey.SHOWING_CONFIRM_REQUEST, Purpose.CONFIRMATION)
REMIND = Step("reminder_sent", TemplateKey.SHOWING_REMINDER, Purpose.REMINDER)
APPLY = Step("application_sent", TemplateKey.SHOWING_APPLICATION, Purpose.AFTER_SHOWING)
NUDGE = Step("application_nudged", TemplateKey.SHOWING_APPLICATION_NUDGE, Purpose.AFTER_SHOWING)
NO_SHOW = Step("no_show_follow_up", TemplateKey.SHOWING_NO_SHOW, Purpose.AFTER_SHOWING)


def _due(now: dt.datetime) -> list[tuple[int, Step]]:
    confirm = dt.timedelta(hours=settings.LEASEBOT_SHOWING_CONFIRM_HOURS)
    remind = dt.timedelta(hours=settings.LEASEBOT_SHOWING_REMINDER_HOURS)
    nudge = dt.timedelta(hours=settings.LEASEBOT_APPLICATION_NUDGE_HOURS)
    live = Showing.objects.filter(conversation__isnull=False)
    booked = live.filter(status=ShowingStatus.BOOKED, starts_at__gt=now)
    found: list[tuple[int, Step]] = []
    # The reminder wins over a confirmation request not sent in time: one message, not two.
    reminders = booked.filter(reminder_sent_at__isnull=True, starts_at__lte=now + remind)
    found += [(pk, REMIND) for pk in reminders.values_list("pk", flat=True)[:SHOWING_BATCH]]
    confirms = booked.filter(
        confirmation_requested_at__isnull=True, confirmed_at__isnull=True, starts_at__lte=now + confirm
    ).filter(starts_at__gt=now + remind)
    found += [(pk, CONFIRM) for pk in confirms.values_list("pk", flat=True)[:SHOWING_BATCH]]
    completed = live.filter(status=ShowingStatus.COMPLETED)
    found += [
        (pk, APPLY)
        for pk in completed.filter(application_sent_at__isnull=True).values_list("pk", flat=True)[:SHOWING_BATCH]
    ]
    nudges = completed.filter(application_nudged_at__isnull=True, application_sent_at__lte=now - nudge)
    found += [(pk, NUDGE) for pk in nudges.values_list("pk", flat=True)[:SHOWING_BATCH]]
    no_shows = live.filter(status=ShowingStatus.NO_SHOW, no_show_follow_up_at__isnull=True)
    found += [(pk, NO_SHOW) for pk in no_shows.values_list("pk", flat=True)[:SHOWING_BATCH]]
    return found


def showings_due(*, now: dt.datetime | None = None) -> int:
    """Send every step of the showings' lives that is due now; return how many messages were created."""
    now = now or timezone.now()
    return sum(_step_one(showing_id, step, now=now) for showing_id, step in _due(now))


def _renter_wrote_since(conversation: Conversation, moment: dt.datetime | None) -> bool:
    return moment is not None and conversation.messages.filter(direction=Direction.INBOUND, sent_at__gt=moment).exists()


@transaction.atomic
def _step_one(showing_id: int, step: Step, *, now: dt.datetime) -> int:
    showing = Showing.objects.filter(pk=showing_id).select_related("unit__listing").first()
    if showing is None or showing.conversation_id is None:
        return 0
    conversation = (
        Conversation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account__platform", "unit__listing")
        .filter(pk=showing.conversation_id)
        .first()
    )
    if conversation is None:
        return 0  # Another worker has it: the next sweep looks again.
    if conversation.opted_out or conversation.taken_over_by_id is not None or conversation_is_silenced(conversation):
        showing_record_step(showing_id=showing.pk, step=step.name, now=now)  # A person owns it: the bot stays out.
        return 0
    if conversation_is_suppressed(conversation):
        showing_record_step(showing_id=showing.pk, step=step.name, now=now)
        return 0
    if step is NUDGE and (
        conversation.workflow_outcome in _CLOSED or _renter_wrote_since(conversation, showing.application_sent_at)
    ):
        showing_record_step(showing_id=showing.pk, step=step.name, now=now)  # The renter is talking: no nudge.
        return 0
    if quiet_hours_postpone(conversation, now) != now:
        return 0  # Inside the quiet window: a later sweep sends it.
    extra: dict[str, str] = {}
    offer: list[dict[str, Any]] = []
    if step is NO_SHOW:
        offer = [s.to_dict() for s in find_slots(showing.unit, now=now)]
        if not offer:
            conversation_escalate(
                conversation_id=conversation.pk,
                reasons=[HoldReason.of(ReasonCode.NO_SLOT, "no-show: no free time to offer")],
                system="showings",
            )
            showing_record_step(showing_id=showing.pk, step=step.name, now=now)
            return 0
        extra["slots"] = format_slots(offer, reply_language(conversation.language))
    template = templates_for_conversation(conversation).get(step.template)
    if template is None:
        conversation_escalate(
            conversation_id=conversation.pk,
            reasons=[HoldReason.of(missing_template_code(conversation.language), step.template)],
            system="showings",
        )
        showing_record_step(showing_id=showing.pk, step=step.name, now=now)
        return 0
    booked = step in (CONFIRM, REMIND)
    language = reply_language(conversation.language)
    ctx = DecisionContext(
        text="",
        renter_name=conversation.renter_name,
        facts=unit_facts(showing.unit, today=now.date(), booked=booked, language=language),
        lead_profile=dict(conversation.lead_profile or {}),
        booked_slot={
            "label": showing.source.get("label", ""),
            "starts_at": showing.starts_at.isoformat(),
            "timezone": showing.source.get("timezone", ""),
        },
        language=language,
    )
    values = template_context(ctx, ctx.lead_profile)
    if booked:
        values["address"] = ctx.facts.booked_address if ctx.facts is not None else ""
    text, missing = render_template(template.body, {**values, **extra})
    held = [HoldReason.of(ReasonCode.MISSING_FACT)] if missing else []
    if not template.auto_send:
        held.append(HoldReason.of(ReasonCode.TEMPLATE_REVIEW))
    if conversation.human_required:
        held.append(HoldReason.of(ReasonCode.HUMAN_REVIEW_OPEN))
    if conversation.language == Language.OTHER:
        held.append(HoldReason.of(ReasonCode.LANGUAGE, "the renter writes in a language the bot does not answer in"))
    if not showing_record_step(showing_id=showing.pk, step=step.name, now=now, offer=offer):
        return 0
    outbound_create(
        conversation=conversation,
        body=text,
        purpose=step.purpose,
        dispatch_key=f"showing_{step.name}:{showing.pk}",
        hold_reasons=held,
    )
    if step is NO_SHOW:
        transition(conversation, field="showing_state", to=ShowingState.OFFERED, reason="no-show: new times offered")
    if step is APPLY and showing.unit.application_url:
        transition(conversation, field="workflow_outcome", to=WorkflowOutcome.APPLICATION, reason="after the showing")
    audit_record(
        action="showing.step",
        system="showings",
        obj=showing,
        platform=conversation.account.platform.slug,
        after={"step": step.name, "template": template.key, "version": template.version},
    )
    return 1


def showing_steps_report(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[str, int]:
    """Count each step of the lives of showings booked in [since, until): the leasing funnel's middle."""
    qs = Showing.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return {
        "booked": qs.count(),
        "confirmation_requested": qs.filter(confirmation_requested_at__isnull=False).count(),
        "confirmed": qs.filter(confirmed_at__isnull=False).count(),
        "reminded": qs.filter(reminder_sent_at__isnull=False).count(),
        "cancelled": qs.filter(status=ShowingStatus.CANCELLED).exclude(cancel_reason="rescheduled").count(),
        "rescheduled": qs.filter(status=ShowingStatus.CANCELLED, cancel_reason="rescheduled").count(),
        "completed": qs.filter(status=ShowingStatus.COMPLETED).count(),
        "no_show": qs.filter(status=ShowingStatus.NO_SHOW).count(),
        "no_show_offered_new_times": qs.filter(~Q(no_show_offer=[]), no_show_follow_up_at__isnull=False).count(),
        "application_sent": qs.filter(application_sent_at__isnull=False).count(),
        "application_nudged": qs.filter(application_nudged_at__isnull=False).count(),
    }
