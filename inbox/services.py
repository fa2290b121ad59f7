"""Writes of the inbox: deciding on an inbound message, follow-ups, hand-over, templates.

``inbound_decide`` is the ingest step's hook: link, skip when a human owns the thread or
the renter opted out, classify, plan, book, apply the state machine, remember what the
renter told, and create the reply through dispatch's one outbox door. Showings live in
``inbox.showings`` and the suppression list in ``inbox.suppression``; both are re-exported
here so callers have one services module.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox import engine
from inbox.choices import (
    Direction,
    FollowUpStage,
    Intent,
    LinkageStatus,
    ReasonCode,
    ShowingState,
    ShowingStatus,
    TemplateKey,
    WorkflowOutcome,
)
from inbox.engine.base import DecisionContext, ResolvedTemplate
from inbox.engine.planner import Plan, format_slots, plan_reply, template_context
from inbox.exceptions import SlotUnavailable
from inbox.guardrails import check_text
from inbox.linkage import conversation_link
from inbox.models import Conversation, Decision, Message, ReplyTemplate, ReplyTemplateVersion, Showing
from inbox.notify import notify_human_needed
from inbox.selectors import last_offer, llm_examples, llm_playbook, templates_for_conversation, unit_facts
from inbox.showings import showing_book, showing_cancel, showing_reschedule
from inbox.slots import find_slots
from inbox.suppression import (
    conversation_contact,
    conversation_is_allowlisted,
    conversation_is_suppressed,
    suppression_add,
    suppression_lift,
)
from inbox.templating import render_template, validate_template_body
from inbox.workflow import transition
from leasebot.core import metrics
from leasebot.core.exceptions import NotAllowed
from leasebot.core.services import audit_record
from platforms.models import BotSettings

logger = logging.getLogger(__name__)

__all__ = [
    "conversation_hand_back",
    "conversation_link",
    "conversation_take_over",
    "followups_due",
    "inbound_decide",
    "reply_template_save",
    "showing_book",
    "showing_cancel",
    "showing_reschedule",
    "suppression_add",
    "suppression_lift",
]

#: Hours of silence before each follow-up stage (after our last reply or the previous follow-up).
FOLLOW_UP_DELAYS_HOURS: dict[str, int] = {
    FollowUpStage.FIRST: 24,
    FollowUpStage.SECOND: 72,
    FollowUpStage.FINAL: 168,
    **getattr(settings, "LEASEBOT_FOLLOW_UP_DELAYS_HOURS", {}),
}
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


def _human_replied_reason() -> str:
    from dispatch.services.outbox import HUMAN_REPLIED

    return HUMAN_REPLIED


def _escalate(conversation: Conversation, reasons: list[str], *, now: dt.datetime) -> None:
    """Put the conversation in front of a human with the reasons (kept when already escalated)."""
    reason = ", ".join(reasons)[:300]
    if conversation.human_required and conversation.human_reason:
        return
    conversation.human_required, conversation.human_reason = True, reason
    conversation.human_required_since = conversation.human_required_since or now
    conversation.save(update_fields=["human_required", "human_reason", "human_required_since", "updated_at"])
    audit_record(action="conversation.escalate", system="decision", obj=conversation, reason=reason)
    notify_human_needed(conversation_id=conversation.pk, reason=reason)


def _skip(conversation: Conversation, message: Message, why: str) -> None:
    audit_record(
        action="decision.skipped",
        system="decision",
        obj=conversation,
        platform=conversation.account.platform.slug,
        after={"message_id": message.pk},
        reason=why,
    )


def _context(conversation: Conversation, message: Message, *, now: dt.datetime) -> DecisionContext:
    unit = conversation.unit
    booked = (
        Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).order_by("starts_at").first()
        if conversation.showing_state in {ShowingState.BOOKED, ShowingState.RESCHEDULING}
        else None
    )
    templates = templates_for_conversation(conversation)
    use_llm = bool(getattr(settings, "LEASEBOT_LLM_BASE_URL", ""))

    def slots() -> list[dict[str, Any]]:
        if unit is None:
            return []
        found = find_slots(unit, now=now)
        if booked is not None:
            found = [s for s in found if s.starts_at != booked.starts_at]
        return [s.to_dict() for s in found]

    booked_slot = None
    if booked is not None:
        booked_slot = {"label": booked.source.get("label") or f"{booked.starts_at:%a %b %d, %H:%M} UTC"}
    return DecisionContext(
        text=message.body,
        renter_name=conversation.renter_name,
        facts=unit_facts(unit, today=now.date(), booked=booked is not None) if unit is not None else None,
        workflow_outcome=conversation.workflow_outcome,
        showing_state=conversation.showing_state,
        follow_up_stage=conversation.follow_up_stage,
        lead_profile=dict(conversation.lead_profile or {}),
        offered_slots=last_offer(conversation)
        if conversation.showing_state in {ShowingState.OFFERED, ShowingState.RESCHEDULING}
        else (),
        booked_slot=booked_slot,
        platform=conversation.account.platform.slug,
        find_slots=slots,
        template=templates.get,
        examples=llm_examples() if use_llm else (),
        playbook=llm_playbook() if use_llm else "",
    )


def _book(conversation: Conversation, plan: Plan, ctx: DecisionContext, *, now: dt.datetime) -> Plan:
    """Book the slot the renter picked; when it was just taken, offer fresh slots instead."""
    assert plan.book_slot is not None  # noqa: S101 - only called with a slot.
    try:
        with transaction.atomic():
            showing_book(conversation_id=conversation.pk, slot=plan.book_slot, now=now)
    except SlotUnavailable:
        conversation.refresh_from_db()
        slots = list(ctx.find_slots())
        retry = Plan(
            classification=plan.classification,
            workflow_outcome=plan.workflow_outcome,
            showing_state=conversation.showing_state,
            follow_up_stage=plan.follow_up_stage,
            offered_slots=slots,
        )
        template = ctx.template(TemplateKey.SHOWING_SLOT_TAKEN if slots else TemplateKey.NO_SLOT)
        if template is None:
            retry.hold(ReasonCode.NO_TEMPLATE)
        else:
            values = template_context(ctx, {**ctx.lead_profile, **plan.classification.extracted})
            text, missing = render_template(
                template.body, {**values, "slot": plan.book_slot.get("label", ""), "slots": format_slots(slots)}
            )
            retry.reply_text = text
            retry.templates_used.append((template.key, template.version))
            if missing:
                retry.hold(ReasonCode.MISSING_FACT)
        if slots:
            retry.showing_state = ShowingState.OFFERED
        else:
            retry.hold(ReasonCode.NO_SLOT)
        retry.hold(ReasonCode.SLOT_TAKEN)
        return retry
    conversation.refresh_from_db()
    return plan


def _cancel_booking(conversation: Conversation) -> None:
    for showing in Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).order_by("pk"):
        showing_cancel(showing_id=showing.pk, reason="renter cancelled")
    conversation.refresh_from_db()


def _safety_holds(conversation: Conversation, message: Message, *, now: dt.datetime) -> list[str]:
    """Return first-live safety holds: not allow-listed while allow-list-only, or inbound too old."""
    bot = BotSettings.load()
    holds: list[str] = []
    if bot.allowlist_only and not conversation_is_allowlisted(conversation):
        holds.append(ReasonCode.NOT_ALLOWLISTED)
    if bot.max_auto_send_age_minutes and now - message.sent_at > dt.timedelta(minutes=bot.max_auto_send_age_minutes):
        holds.append(ReasonCode.STALE_INBOUND)
    return holds


def _remember(conversation: Conversation, extracted: dict[str, Any]) -> None:
    profile = dict(conversation.lead_profile or {})
    changed = {k: v for k, v in extracted.items() if k != "affirmed" and v not in (None, "") and profile.get(k) != v}
    if changed:
        profile.update(changed)
        conversation.lead_profile = profile
        conversation.save(update_fields=["lead_profile", "updated_at"])


def _apply_states(conversation: Conversation, plan: Plan) -> list[str]:
    refused = []
    for field in ("workflow_outcome", "showing_state", "follow_up_stage"):
        target = getattr(plan, field)
        if not transition(conversation, field=field, to=target, reason=f"decision: {plan.classification.intent}"):
            refused.append(field)
    return refused


@transaction.atomic
def inbound_decide(*, message_id: int) -> Decision | None:
    """Decide on one new inbound message: at most one decision and one reply per message, ever.

    Returns the decision, or None when the bot stays out (agent took over, a human reply
    won, the renter is suppressed, or the message is not an inbound one); skips are audited.
    """
    message = Message.objects.get(pk=message_id)
    if message.direction != Direction.INBOUND:
        return None
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("account__platform", "unit__listing", "listing")
        .get(pk=message.conversation_id)
    )
    existing = Decision.objects.filter(message=message).order_by("pk").first()
    if existing is not None:
        return existing
    now = timezone.now()
    if conversation.linkage_status == LinkageStatus.PENDING:
        conversation_link(conversation=conversation, message=message)
        conversation = Conversation.objects.select_related("account__platform", "unit__listing", "listing").get(
            pk=conversation.pk
        )
    if conversation.taken_over_by_id is not None:
        _skip(conversation, message, f"taken over by agent {conversation.taken_over_by_id}")
        return None
    if conversation.human_required and conversation.human_reason == _human_replied_reason():
        _skip(conversation, message, "a human reply wins: an agent answered on the platform")
        return None
    if conversation_is_suppressed(conversation):
        _suppressed_wrote(conversation, message, now=now)
        return None

    ctx = _context(conversation, message, now=now)
    classification = engine.classify(ctx, use_llm=bool(getattr(settings, "LEASEBOT_LLM_BASE_URL", "")))
    plan = plan_reply(ctx, classification)
    if plan.cancel_booking:
        _cancel_booking(conversation)
    if plan.book_slot is not None:
        plan = _book(conversation, plan, ctx, now=now)
    reasons = list(plan.reason_codes)
    risk = list(classification.risk_flags)
    if plan.reply_text:
        verdict = check_text(plan.reply_text, inbound_text=message.body)
        if not verdict.ok:
            reasons.append(ReasonCode.GUARDRAIL)
            risk += [f"guardrail:{c}" for c in verdict.categories]
        if conversation.human_required:
            reasons.append(ReasonCode.HUMAN_REVIEW_OPEN)
        reasons += _safety_holds(conversation, message, now=now)
    refused = _apply_states(conversation, plan)
    if refused:
        reasons.append(ReasonCode.WORKFLOW_REFUSED)
    reasons = list(dict.fromkeys(reasons))
    primary = plan.templates_used[0] if plan.templates_used else ("", None)
    decision = Decision.objects.create(
        conversation=conversation,
        message=message,
        engine=classification.engine,
        engine_detail=classification.engine_detail[:300],
        intent=classification.intent,
        intents=list(classification.intents),
        confidence=max(0.0, min(1.0, classification.confidence)),
        workflow_outcome=plan.workflow_outcome,
        showing_state=plan.showing_state,
        follow_up_stage=plan.follow_up_stage,
        reply_text=plan.reply_text,
        risk_flags=risk,
        reason_codes=reasons,
        offered_slots=plan.offered_slots,
        template_key=primary[0],
        template_version=primary[1],
        templates_used=[list(t) for t in plan.templates_used],
        extracted=dict(classification.extracted),
    )
    _remember(conversation, classification.extracted)
    if plan.suppress:
        _opt_out(conversation, reason=classification.intent)
    human = [r for r in reasons if r in _human_reason_codes()]
    if human:
        _escalate(conversation, human, now=now)
    if plan.reply_text:
        from dispatch.services import outbound_create

        outbound_create(
            conversation=conversation,
            body=plan.reply_text,
            purpose="reply",
            dispatch_key=f"reply:{message_id}",
            decision=decision,
            in_reply_to=message,
            hold_reasons=reasons,
        )
    _schedule_follow_up(conversation, replied=bool(plan.reply_text), now=now)
    metrics.inc("leasebot_decisions_total", intent=classification.intent)
    audit_record(
        action="decision.create",
        system="decision",
        obj=decision,
        platform=conversation.account.platform.slug,
        after={
            "intent": decision.intent,
            "engine": decision.engine,
            "reasons": reasons,
            "templates": decision.templates_used,
        },
    )
    return decision


def _human_reason_codes() -> frozenset[str]:
    from inbox.engine.planner import HUMAN_REASONS

    return HUMAN_REASONS | {ReasonCode.GUARDRAIL}


def _suppressed_wrote(conversation: Conversation, message: Message, *, now: dt.datetime) -> None:
    """A suppressed renter wrote again: stay silent; show an agent unless it is another "stop"."""
    if not conversation.opted_out:
        conversation.opted_out = True
        conversation.save(update_fields=["opted_out", "updated_at"])
    transition(conversation, field="follow_up_stage", to=FollowUpStage.STOPPED, reason="suppressed contact")
    again = engine.RulesEngine().classify(DecisionContext(text=message.body)).intent
    if again not in {Intent.OPT_OUT, Intent.NOT_INTERESTED, Intent.SPAM_SCAM}:
        _escalate(conversation, [ReasonCode.OPT_OUT, "suppressed contact wrote again"], now=now)
    _skip(conversation, message, "opted out: the contact is on the suppression list")


def _opt_out(conversation: Conversation, *, reason: str) -> None:
    from dispatch.services import outbound_cancel_for_conversation

    platform, handle = conversation_contact(conversation)
    suppression_add(platform=platform, handle=handle, reason=reason)
    conversation.opted_out = True
    conversation.next_follow_up_at = None
    conversation.save(update_fields=["opted_out", "next_follow_up_at", "updated_at"])
    outbound_cancel_for_conversation(conversation_id=conversation.pk, reason="opt_out")


def _follow_up_eligible(conversation: Conversation) -> bool:
    return (
        not conversation.opted_out
        and conversation.taken_over_by_id is None
        and not conversation.human_required
        and conversation.workflow_outcome in _FOLLOW_OUTCOMES
        and conversation.showing_state in _FOLLOW_SHOWING
        and conversation.follow_up_stage in _NEXT_STAGE
    )


def _schedule_follow_up(conversation: Conversation, *, replied: bool, now: dt.datetime) -> None:
    if replied and _follow_up_eligible(conversation):
        stage = _NEXT_STAGE[conversation.follow_up_stage]
        due = now + dt.timedelta(hours=FOLLOW_UP_DELAYS_HOURS[stage])
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
        Conversation.objects.filter(next_follow_up_at__lte=now)
        .order_by("next_follow_up_at")
        .values_list("pk", flat=True)[:FOLLOW_UP_BATCH]
    )
    created = 0
    for conversation_id in due_ids:
        created += _follow_up_one(conversation_id, now=now)
    return created


@transaction.atomic
def _follow_up_one(conversation_id: int, *, now: dt.datetime) -> int:
    from dispatch.services import outbound_create
    from inbox.choices import OutboundStatus, Source

    conversation = (
        Conversation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account__platform", "unit__listing")
        .filter(pk=conversation_id, next_follow_up_at__lte=now)
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
    unsent = conversation.outbound.filter(
        source=Source.BOT,
        status__in=[OutboundStatus.DRAFT, OutboundStatus.PENDING_REVIEW, OutboundStatus.QUEUED, OutboundStatus.SENDING],
    ).exists()
    if unsent:
        # Our last reply has not gone out yet: a follow-up would overtake it. Look again later.
        conversation.next_follow_up_at = now + dt.timedelta(hours=FOLLOW_UP_DELAYS_HOURS[FollowUpStage.FIRST])
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
        _escalate(conversation, [ReasonCode.NO_TEMPLATE, f"follow-up {stage}"], now=now)
        conversation.next_follow_up_at = None
        conversation.save(update_fields=["next_follow_up_at", "updated_at"])
        return 0
    today = now.date()
    facts = unit_facts(conversation.unit, today=today) if conversation.unit is not None else None
    ctx = DecisionContext(
        text="", renter_name=conversation.renter_name, facts=facts, lead_profile=dict(conversation.lead_profile)
    )
    text, missing = render_template(template.body, template_context(ctx, ctx.lead_profile))
    holds = [ReasonCode.MISSING_FACT] if missing else []
    if not template.auto_send:
        holds.append(ReasonCode.TEMPLATE_REVIEW)
    outbound_create(
        conversation=conversation,
        body=text,
        purpose="follow_up",
        dispatch_key=f"follow_up:{conversation.pk}:{anchor}:{stage}",
        hold_reasons=holds,
    )
    transition(conversation, field="follow_up_stage", to=stage, reason="follow-up due")
    later = _NEXT_STAGE.get(stage)
    conversation.next_follow_up_at = now + dt.timedelta(hours=FOLLOW_UP_DELAYS_HOURS[later]) if later else None
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
def conversation_take_over(*, conversation_id: int, agent: Any) -> Conversation:
    """Let an agent own the conversation: the bot stops replying and following up there."""
    from dispatch.services import outbound_cancel_for_conversation

    if agent is None or not getattr(agent, "is_authenticated", False):
        raise NotAllowed("only a signed-in agent can take over a conversation")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.taken_over_by_id not in (None, agent.pk):
        raise NotAllowed(
            "another agent already took over this conversation", taken_over_by=conversation.taken_over_by_id
        )
    conversation.taken_over_by = agent
    conversation.assigned_agent = conversation.assigned_agent or agent
    conversation.next_follow_up_at = None
    conversation.save(update_fields=["taken_over_by", "assigned_agent", "next_follow_up_at", "updated_at"])
    transition(conversation, field="follow_up_stage", to=FollowUpStage.STOPPED, actor=agent, reason="agent took over")
    outbound_cancel_for_conversation(conversation_id=conversation.pk, reason="taken_over")
    audit_record(action="conversation.take_over", actor=agent, obj=conversation)
    return conversation


@transaction.atomic
def conversation_hand_back(*, conversation_id: int, agent: Any) -> Conversation:
    """Give the conversation back to the bot; clears the human flag (including "a human reply wins")."""
    if agent is None or not getattr(agent, "is_authenticated", False):
        raise NotAllowed("only a signed-in agent can hand a conversation back")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    before = {"taken_over_by": conversation.taken_over_by_id, "human_reason": conversation.human_reason}
    conversation.taken_over_by = None
    conversation.human_required, conversation.human_reason, conversation.human_required_since = False, "", None
    conversation.save(
        update_fields=["taken_over_by", "human_required", "human_reason", "human_required_since", "updated_at"]
    )
    if conversation.follow_up_stage == FollowUpStage.STOPPED and not conversation.opted_out:
        transition(conversation, field="follow_up_stage", to=FollowUpStage.NONE, actor=agent, reason="handed back")
    audit_record(action="conversation.hand_back", actor=agent, obj=conversation, before=before)
    return conversation


@transaction.atomic
def reply_template_save(*, template: ReplyTemplate, actor: Any = None) -> ReplyTemplate:
    """Validate and save a template; a new body becomes a new version (the old text is kept)."""
    validate_template_body(template.body)
    template.full_clean(exclude=["version"])
    if template.pk is None:
        template.version = 1
        template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        template.save()
        ReplyTemplateVersion.objects.create(
            template=template, version=1, body=template.body, created_by=template.updated_by
        )
        audit_record(action="template.create", actor=actor, obj=template, after={"key": template.key, "version": 1})
        return template
    current = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
    if current.body != template.body:
        template.version = current.version + 1
        ReplyTemplateVersion.objects.create(
            template=template,
            version=template.version,
            body=template.body,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    else:
        template.version = current.version
    template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    template.save()
    audit_record(
        action="template.update",
        actor=actor,
        obj=template,
        before={"version": current.version},
        after={"version": template.version, "is_active": template.is_active, "auto_send": template.auto_send},
    )
    return template


def template_preview(*, template: ReplyTemplate | ResolvedTemplate, sample: dict[str, str] | None = None) -> str:
    """Return a template rendered with sample values (for the admin's preview)."""
    values = {
        "renter_name": "Alex Doe",
        "first_name": "Alex",
        "listing_title": "Sunny 1BR in Park Slope",
        "unit_name": "Apt 3B",
        "address": "shared once your showing is booked",
        "rent": "$2,450",
        "deposit": "$2,450",
        "available_from": "March 1, 2027",
        "bedrooms": "1",
        "pets_policy": "Cats and small dogs welcome",
        "parking": "Street parking",
        "min_lease_months": "12",
        "application_url": "https://example.com/apply",
        "slots": "1) Tue Mar 10, 10:00 AM\n2) Wed Mar 11, 5:30 PM",
        "slot": "Tue Mar 10, 10:00 AM",
        "move_in_date": "March 1",
        "pets_mentioned": "a cat",
        **(sample or {}),
    }
    text, _missing = render_template(template.body, values)
    return text
