"""Follow-ups: the bot's nudges after silence, each created once, stopped by anything that needs a person.

The stages (first, second, final) wait ``settings.LEASEBOT_FOLLOW_UP_DELAYS_HOURS[stage]``
hours after our last reply or the previous follow-up (read at every call); a follow-up due inside
the account's quiet hours (``inbox.quiet_hours``) is postponed to the window's end.

An agent may pause a conversation's follow-ups (``conversation_follow_ups_pause``): the sweep
then skips it, and ``next_follow_up_at`` keeps being scheduled, so a resume picks the schedule
up where it stands (a follow-up that fell due during the pause goes out with the next sweep).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox.choices import (
    Direction,
    FollowUpStage,
    Language,
    OutboundStatus,
    ReasonCode,
    ShowingState,
    Source,
    TemplateKey,
    WorkflowOutcome,
)
from inbox.engine.base import DecisionContext
from inbox.engine.planner import template_context
from inbox.holds import HoldReason
from inbox.language import missing_template_code, reply_language
from inbox.models import Conversation
from inbox.quiet_hours import quiet_hours_postpone
from inbox.selectors import templates_for_conversation, unit_facts
from inbox.services.escalation import conversation_escalate
from inbox.services.outbox import outbound_create
from inbox.suppression import conversation_is_suppressed
from inbox.templating import render_template
from inbox.workflow import transition
from leasebot.core.exceptions import NotAllowed
from leasebot.core.services import audit_record

_NEXT_STAGE: dict[str, str] = {
    FollowUpStage.NONE: FollowUpStage.FIRST,
    FollowUpStage.FIRST: FollowUpStage.SECOND,
    FollowUpStage.SECOND: FollowUpStage.FINAL,
}
_STAGE_TEMPLATE: dict[str, str] = {
    FollowUpStage.FIRST: TemplateKey.FOLLOW_UP_FIRST,
    FollowUpStage.SECOND: TemplateKey.FOLLOW_UP_SECOND,
    FollowUpStage.FINAL: TemplateKey.FOLLOW_UP_FINAL,
}
_FOLLOW_OUTCOMES = frozenset({WorkflowOutcome.NEW, WorkflowOutcome.ENGAGED, WorkflowOutcome.QUALIFIED})
_FOLLOW_SHOWING = frozenset({ShowingState.NONE, ShowingState.OFFERED, ShowingState.CANCELLED})
FOLLOW_UP_BATCH = 200


def follow_up_delay(stage: str) -> dt.timedelta:
    """How long a stage waits after our last reply or the previous follow-up."""
    return dt.timedelta(hours=settings.LEASEBOT_FOLLOW_UP_DELAYS_HOURS[stage])


def _follow_up_eligible(conversation: Conversation) -> bool:
    return (
        not conversation.opted_out
        and conversation.taken_over_by_id is None
        and not conversation.human_required
        and conversation.workflow_outcome in _FOLLOW_OUTCOMES
        and conversation.showing_state in _FOLLOW_SHOWING
        and conversation.follow_up_stage in _NEXT_STAGE
    )


def schedule_follow_up(conversation: Conversation, *, replied: bool, now: dt.datetime) -> None:
    if replied and _follow_up_eligible(conversation):
        stage = _NEXT_STAGE[conversation.follow_up_stage]
        due = quiet_hours_postpone(conversation, now + follow_up_delay(stage))
    else:
        due = None
    if conversation.next_follow_up_at != due:
        conversation.next_follow_up_at = due
        conversation.save(update_fields=["next_follow_up_at", "updated_at"])


def followups_due(*, now: dt.datetime | None = None) -> int:
    """Create the follow-ups that are due now; return how many were created.

    Each conversation is handled in its own transaction under ``FOR UPDATE SKIP LOCKED``,
    and each follow-up's dispatch key names the conversation, the last inbound message and
    the stage, so two beats (or a re-sent schedule) never create a second one.
    """
    now = now or timezone.now()
    due_ids = list(
        Conversation.objects.filter(next_follow_up_at__lte=now, follow_ups_paused_at__isnull=True)
        .order_by("next_follow_up_at")
        .values_list("pk", flat=True)[:FOLLOW_UP_BATCH]
    )
    created = 0
    for conversation_id in due_ids:
        created += _follow_up_one(conversation_id, now=now)
    return created


@transaction.atomic
def _follow_up_one(conversation_id: int, *, now: dt.datetime) -> int:
    conversation = (
        Conversation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account__platform", "unit__listing")
        .filter(pk=conversation_id, next_follow_up_at__lte=now, follow_ups_paused_at__isnull=True)
        .first()
    )
    if conversation is None:
        return 0
    if not _follow_up_eligible(conversation) or conversation_is_suppressed(conversation):
        if conversation.follow_up_stage != FollowUpStage.STOPPED and (
            conversation.opted_out or conversation.taken_over_by_id
        ):
            transition(conversation, field="follow_up_stage", to=FollowUpStage.STOPPED, reason="follow-ups stopped")
        conversation.next_follow_up_at = None
        conversation.save(update_fields=["next_follow_up_at", "updated_at"])
        return 0
    stage = _NEXT_STAGE[conversation.follow_up_stage]
    quiet_end = quiet_hours_postpone(conversation, now)
    if quiet_end != now:
        # Due inside the quiet window (a late beat, or a window changed since scheduling): wait for its end.
        conversation.next_follow_up_at = quiet_end
        conversation.save(update_fields=["next_follow_up_at", "updated_at"])
        return 0
    unsent = conversation.outbound.filter(
        source=Source.BOT,
        status__in=[OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.QUEUED, OutboundStatus.SENDING],
    ).exists()
    if unsent:
        # Our last reply has not gone out yet: a follow-up would overtake it. Look again later.
        conversation.next_follow_up_at = quiet_hours_postpone(conversation, now + follow_up_delay(FollowUpStage.FIRST))
        conversation.save(update_fields=["next_follow_up_at", "updated_at"])
        return 0
    template = templates_for_conversation(conversation).get(_STAGE_TEMPLATE[stage])
    anchor = (
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-sent_at", "-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )
    if template is None:
        conversation_escalate(
            conversation_id=conversation.pk,
            reasons=[HoldReason.of(missing_template_code(conversation.language), f"follow-up {stage}")],
            system="followups",
        )
        conversation.next_follow_up_at = None
        conversation.save(update_fields=["next_follow_up_at", "updated_at"])
        return 0
    today = now.date()
    language = reply_language(conversation.language)
    facts = unit_facts(conversation.unit, today=today, language=language) if conversation.unit is not None else None
    ctx = DecisionContext(
        text="",
        renter_name=conversation.renter_name,
        facts=facts,
        lead_profile=dict(conversation.lead_profile),
        language=language,
    )
    text, missing = render_template(template.body, template_context(ctx, ctx.lead_profile))
    held = [HoldReason.of(ReasonCode.MISSING_FACT)] if missing else []
    if conversation.language == Language.OTHER:
        held.append(HoldReason.of(ReasonCode.LANGUAGE, "the renter writes in a language the bot does not answer in"))
    if not template.auto_send:
        held.append(HoldReason.of(ReasonCode.TEMPLATE_REVIEW))
    outbound_create(
        conversation=conversation,
        body=text,
        purpose="follow_up",
        dispatch_key=f"follow_up:{conversation.pk}:{anchor}:{stage}",
        hold_reasons=held,
    )
    transition(conversation, field="follow_up_stage", to=stage, reason="follow-up due")
    later = _NEXT_STAGE.get(stage)
    conversation.next_follow_up_at = quiet_hours_postpone(conversation, now + follow_up_delay(later)) if later else None
    conversation.save(update_fields=["next_follow_up_at", "updated_at"])
    audit_record(
        action="followup.create",
        system="followups",
        obj=conversation,
        platform=conversation.account.platform.slug,
        after={"stage": stage, "template": template.key, "version": template.version},
    )
    return 1


@transaction.atomic
def conversation_follow_ups_pause(
    *, conversation_id: int, actor: Any, paused: bool, now: dt.datetime | None = None
) -> Conversation:
    """Pause (or resume) the bot's follow-ups on one conversation; audited.

    Optimistic like the other agents' actions: pausing what is already paused, or resuming
    what is not, is refused (``NotAllowed``, HTTP 409) saying who changed it, so a page that
    was out of date reloads instead of flipping the switch back.
    """
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("account__platform", "follow_ups_paused_by")
        .get(pk=conversation_id)
    )
    was = conversation.follow_ups_paused_at
    if paused and was is not None:
        by = conversation.follow_ups_paused_by.get_username() if conversation.follow_ups_paused_by else "someone"
        raise NotAllowed(f"follow-ups are already paused (by {by})", status="paused")
    if not paused and was is None:
        raise NotAllowed("follow-ups are not paused (someone resumed them already)", status="running")
    conversation.follow_ups_paused_at = (now or timezone.now()) if paused else None
    conversation.follow_ups_paused_by = actor if paused else None
    conversation.save(update_fields=["follow_ups_paused_at", "follow_ups_paused_by", "updated_at"])
    due = conversation.next_follow_up_at
    audit_record(
        action="conversation.follow_ups_pause" if paused else "conversation.follow_ups_resume",
        actor=actor,
        obj=conversation,
        platform=conversation.account.platform.slug,
        before={"paused_at": was.isoformat() if was else None},
        after={"next_follow_up_at": due.isoformat() if due else None},
        reason="follow-ups paused by an agent" if paused else "follow-ups resumed by an agent",
    )
    return conversation
