"""Deciding on the renter's messages: one decision and at most one reply per burst, each message answered once.

``inbound_decide`` is what the ingest job calls after the message is stored: link, skip when
a person owns the thread or the renter opted out, gather the burst the message belongs to
(``inbox.services.bursts``: wait while the renter is still writing, supersede an earlier reply
of the burst that has not left yet), classify, plan, book, apply the state machine, remember
what the renter told, escalate through the one escalation door and create the reply through
the one outbox door. ``decisions_due`` is the sweep that decides bursts whose deferred
decision job was lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox import engine, enqueue
from inbox.choices import (
    Direction,
    FollowUpStage,
    Intent,
    Language,
    LinkageStatus,
    Purpose,
    ReasonCode,
    ShowingState,
    ShowingStatus,
    TemplateKey,
)
from inbox.engine.base import DecisionContext
from inbox.engine.planner import HUMAN_REASONS, Plan, format_slots, plan_reply, slot_label, template_context
from inbox.exceptions import SlotUnavailable
from inbox.guardrails import check_text
from inbox.holds import HoldReason
from inbox.language import detect_language
from inbox.linkage import conversation_link
from inbox.models import Conversation, Decision, Message, OutboundMessage, Showing
from inbox.notify import notify_human_needed
from inbox.selectors import last_offer, llm_examples, llm_playbook, templates_for_conversation, unit_facts
from inbox.services.bursts import Burst, burst_of, covering_decision
from inbox.services.escalation import conversation_escalate, conversation_is_silenced
from inbox.services.followups import schedule_follow_up
from inbox.services.lead import lead_profile_record
from inbox.services.outbox import outbound_cancel_for_conversation, outbound_create, outbound_supersede
from inbox.services.store import Stored, decision_failed
from inbox.showings import showing_book, showing_cancel, showing_confirm, showing_mark_outcome, showing_record_step
from inbox.slots import find_slots
from inbox.suppression import (
    conversation_contact,
    conversation_is_allowlisted,
    conversation_is_suppressed,
    suppression_add,
)
from inbox.templating import render_template
from inbox.workflow import transition
from leasebot.core import metrics
from leasebot.core.services import audit_record
from platforms.policies import bot_settings

logger = logging.getLogger(__name__)


def _escalate(conversation: Conversation, reasons: list[HoldReason]) -> None:
    """Escalate the locked row through the one door (which updates it in place)."""
    conversation_escalate(conversation_id=conversation.pk, reasons=reasons, system="decision", locked=conversation)


def _skip(conversation: Conversation, message: Message, why: str) -> None:
    audit_record(
        action="decision.skipped",
        system="decision",
        obj=conversation,
        platform=conversation.account.platform.slug,
        after={"message_id": message.pk},
        reason=why,
    )


_STATE_FIELDS = ("workflow_outcome", "showing_state", "follow_up_stage")


def _states(conversation: Conversation) -> dict[str, str]:
    return {field: getattr(conversation, field) for field in _STATE_FIELDS}


def _follow_language(conversation: Conversation, text: str) -> tuple[str, str]:
    """Read the renter's language from the burst and remember it on the conversation; return (language, detail).

    A message too short to tell ("ok", "2") keeps the language the conversation had, so a slot
    picked by number after a Spanish offer is still answered in Spanish; a later message in
    English switches the replies back. A conversation never read yet is English.
    """
    guess = detect_language(text)
    language = guess.language if guess.known else conversation.language
    if language != conversation.language:
        conversation.language = language
        conversation.save(update_fields=["language", "updated_at"])
    detail = f"the renter writes in {guess.code or 'another language'}" if language == Language.OTHER else ""
    return language or Language.EN, detail


def _context(conversation: Conversation, burst: Burst, *, now: dt.datetime, language: str) -> DecisionContext:
    """Gather what the engine reads: the burst's text, and the states from before any reply it supersedes."""
    unit = conversation.unit
    # The superseded replies never reached the renter: decide as if they had not been written.
    states = _states(conversation)
    if burst.superseded and burst.superseded[0].states_before:
        states = {**states, **burst.superseded[0].states_before}
    showing_state = states["showing_state"]
    booked = (
        Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).order_by("starts_at").first()
        if showing_state in {ShowingState.BOOKED, ShowingState.RESCHEDULING}
        else None
    )
    templates = templates_for_conversation(conversation, language=language)
    use_llm = bool(settings.LEASEBOT_LLM_BASE_URL)

    def slots() -> list[dict[str, Any]]:
        if unit is None:
            return []
        found = find_slots(unit, now=now)
        if booked is not None:
            found = [s for s in found if s.starts_at != booked.starts_at]
        return [s.to_dict() for s in found]

    booked_slot, booked_started = None, False
    if booked is not None:
        booked_started = booked.starts_at <= now
        booked_slot = {
            "label": booked.source.get("label") or f"{booked.starts_at:%a %b %d, %H:%M} UTC",
            "starts_at": booked.starts_at.isoformat(),
            "timezone": booked.source.get("timezone", ""),
        }
    return DecisionContext(
        text=burst.text,
        renter_name=conversation.renter_name,
        facts=unit_facts(unit, today=now.date(), booked=booked is not None, language=language)
        if unit is not None
        else None,
        workflow_outcome=states["workflow_outcome"],
        showing_state=showing_state,
        follow_up_stage=states["follow_up_stage"],
        lead_profile=dict(conversation.lead_profile or {}),
        offered_slots=last_offer(conversation, ignore=[d.pk for d in burst.superseded])
        if showing_state in {ShowingState.OFFERED, ShowingState.RESCHEDULING}
        else (),
        booked_slot=booked_slot,
        booked_started=booked_started,
        platform=conversation.account.platform.slug,
        find_slots=slots,
        template=templates.get,
        examples=llm_examples() if use_llm else (),
        playbook=llm_playbook() if use_llm else "",
        language=language,
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
            retry.hold(ReasonCode.NO_TEMPLATE if ctx.language == Language.EN else ReasonCode.LANGUAGE)
        else:
            values = template_context(ctx, {**ctx.lead_profile, **plan.classification.extracted})
            text, missing = render_template(
                template.body,
                {
                    **values,
                    "slot": slot_label(plan.book_slot, ctx.language),
                    "slots": format_slots(slots, ctx.language),
                },
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


def _showing_answer(conversation: Conversation, plan: Plan, *, now: dt.datetime) -> None:
    """Apply the renter's answer about the booked showing: confirmed, or (once it started) how it went."""
    showing = (
        Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).order_by("starts_at").first()
    )
    if showing is None:
        return
    if plan.confirm_showing:
        showing_confirm(showing_id=showing.pk, now=now)
        return
    showing_mark_outcome(showing_id=showing.pk, outcome=plan.showing_outcome, by="renter", now=now)
    conversation.refresh_from_db()
    # This reply is the step's message: the sweep must not send it again.
    if plan.showing_outcome == ShowingStatus.NO_SHOW and plan.offered_slots:
        showing_record_step(showing_id=showing.pk, step="no_show_follow_up", now=now, offer=plan.offered_slots)
    elif plan.showing_outcome == ShowingStatus.COMPLETED:
        showing_record_step(showing_id=showing.pk, step="application_sent", now=now)


def _cancel_booking(conversation: Conversation) -> None:
    for showing in Showing.objects.filter(conversation=conversation, status=ShowingStatus.BOOKED).order_by("pk"):
        showing_cancel(showing_id=showing.pk, reason="renter cancelled")
    conversation.refresh_from_db()


def _safety_holds(conversation: Conversation, message: Message, *, now: dt.datetime) -> list[str]:
    """Return first-live safety holds: not allow-listed while allow-list-only, or inbound too old."""
    bot = bot_settings()  # Shared across a fetched batch (platforms.policies.policy_snapshot).
    holds: list[str] = []
    if bot.allowlist_only and not conversation_is_allowlisted(conversation):
        holds.append(ReasonCode.NOT_ALLOWLISTED)
    if bot.max_auto_send_age_minutes and now - message.sent_at > dt.timedelta(minutes=bot.max_auto_send_age_minutes):
        holds.append(ReasonCode.STALE_INBOUND)
    return holds


def _apply_states(conversation: Conversation, plan: Plan) -> list[str]:
    refused = []
    for field in ("workflow_outcome", "showing_state", "follow_up_stage"):
        target = getattr(plan, field)
        if not transition(conversation, field=field, to=target, reason=f"decision: {plan.classification.intent}"):
            refused.append(field)
    return refused


@transaction.atomic(savepoint=False)
def inbound_decide(*, message_id: int, stored: Stored | None = None) -> Decision | None:
    """Decide on a new inbound message with the rest of its burst: each message answered once, by one reply.

    ``stored`` is what ``message_store`` returned for this message in the caller's transaction:
    its rows are used as they are (the message, its conversation already locked) instead of read again.

    Runs without a savepoint of its own: a failure rolls back the caller's whole block, so a
    caller that goes on after one gives it a block of its own (ingest's per-decision savepoint,
    the sweep's per-burst block); at the top level it is its own transaction.

    Returns the decision that answers the message (made now or before), or None when the bot
    waits for the renter to finish the burst (the decision is then enqueued for when it
    settles) or stays out (agent took over, a human reply won, the renter is suppressed, or
    the message is not an inbound one); skips are audited. Its counters go to Redis in one
    write when it returns (``metrics.batch``).
    """
    with metrics.batch():
        return _inbound_decide(message_id=message_id, stored=stored)


def _inbound_decide(*, message_id: int, stored: Stored | None) -> Decision | None:
    if stored is not None and stored.message is not None and stored.conversation is not None:
        if stored.message_id != message_id or not transaction.get_connection().in_atomic_block:
            raise ValueError("stored must be what message_store returned for this message, in this transaction")
        # Stored now, in this transaction, under its conversation's lock: nothing has decided it yet.
        message, conversation = stored.message, stored.conversation
    else:
        message = Message.objects.get(pk=message_id)
        if message.direction != Direction.INBOUND:
            return None
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("account__platform", "unit__listing", "listing")
            .get(pk=message.conversation_id)
        )
        existing = covering_decision(message)
        if existing is not None:
            return existing
    now = timezone.now()
    if conversation.linkage_status == LinkageStatus.PENDING:
        # The link is written on the locked row in place (its listing and unit with it): no read again.
        conversation_link(conversation=conversation, message=message)
    if conversation.taken_over_by_id is not None:
        _renter_wrote_to_a_person(conversation)
        _skip(conversation, message, f"taken over by agent {conversation.taken_over_by_id}")
        return None
    if conversation_is_silenced(conversation):
        _renter_wrote_to_a_person(conversation)
        _skip(conversation, message, "a human reply wins: an agent answered on the platform")
        return None
    if conversation_is_suppressed(conversation):
        _suppressed_wrote(conversation, message, now=now)
        return None

    burst = burst_of(conversation, message)
    if burst.settles_at > now:
        _wait_for_burst(burst, now=now)
        return None
    message = burst.newest
    for earlier in burst.superseded:
        reply = OutboundMessage.objects.filter(decision=earlier, purpose=Purpose.REPLY).order_by("pk").first()
        if reply is not None:
            outbound_supersede(outbound_id=reply.pk, by_message_id=message.pk)
    states_before = (
        burst.superseded[0].states_before if burst.superseded and burst.superseded[0].states_before else None
    ) or _states(conversation)
    language, language_detail = _follow_language(conversation, burst.text)
    ctx = _context(conversation, burst, now=now, language=language)
    classification = engine.classify(ctx, use_llm=bool(settings.LEASEBOT_LLM_BASE_URL))
    plan = plan_reply(ctx, classification)
    if plan.cancel_booking:
        _cancel_booking(conversation)
    if plan.book_slot is not None:
        plan = _book(conversation, plan, ctx, now=now)
    if plan.confirm_showing or plan.showing_outcome:
        _showing_answer(conversation, plan, now=now)
    reasons = list(plan.reason_codes)
    risk = list(classification.risk_flags)
    if plan.reply_text:
        verdict = check_text(plan.reply_text, inbound_text=burst.text)
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
        language=language,
        burst_message_ids=burst.message_ids,
        states_before=states_before,
    )
    if burst.superseded:
        Decision.objects.filter(pk__in=[d.pk for d in burst.superseded]).update(superseded_by=decision)
    # The burst's rows were read under the conversation's lock (only a burst wider than one
    # message ever waits), so they say which ones a deferred decision marked.
    waited = [m.pk for m in burst.messages if m.decide_after is not None]
    if waited:
        Message.objects.filter(pk__in=waited).update(decide_after=None)
    lead_profile_record(conversation, classification.extracted, asked=plan.asked)
    if plan.suppress:
        _opt_out(conversation, reason=classification.intent)
    details: dict[str, str] = {ReasonCode.LANGUAGE: language_detail}
    human = [r for r in reasons if r in HUMAN_REASONS | {ReasonCode.GUARDRAIL}]
    if human:
        _escalate(conversation, [HoldReason.of(code, details.get(code, "")) for code in human])
    if plan.reply_text:
        outbound_create(
            conversation=conversation,
            body=plan.reply_text,
            purpose=Purpose.REPLY,
            dispatch_key=f"reply:{message_id}",
            decision=decision,
            in_reply_to=message,
            # The outbox judges the text itself and names each guardrail flag; the plain code adds nothing.
            hold_reasons=[
                HoldReason.of(code, details.get(code, "")) for code in reasons if code != ReasonCode.GUARDRAIL
            ],
        )
    schedule_follow_up(conversation, replied=bool(plan.reply_text), now=now)
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
            "language": language,
            "templates": decision.templates_used,
            "burst": burst.message_ids,
            "superseded": [d.pk for d in burst.superseded],
        },
    )
    return decision


def _wait_for_burst(burst: Burst, *, now: dt.datetime) -> None:
    """The renter is still writing: mark the burst's messages and have its last one decided when it settles.

    The job is enqueued once per settle time (a later message moves it, and enqueues anew);
    ``decisions_due`` decides the burst if the job is lost.
    """
    newest = burst.newest
    if newest.decide_after == burst.settles_at:
        return
    Message.objects.filter(pk__in=burst.message_ids).update(decide_after=burst.settles_at)
    message_id, countdown = newest.pk, (burst.settles_at - now).total_seconds()
    transaction.on_commit(lambda: enqueue.decide(message_id, countdown=countdown))


def decisions_due(*, now: dt.datetime | None = None) -> int:
    """Decide every burst whose time has come but whose decision job was lost (the sweep); return how many.

    Each burst is decided in its own transaction; a failure escalates its conversation (the
    messages stay stored) and the sweep goes on.
    """
    now = now or timezone.now()
    grace = dt.timedelta(seconds=settings.LEASEBOT_BURST_MAX_WAIT_S)
    due = list(
        Message.objects.filter(direction=Direction.INBOUND, decide_after__lte=now - grace)
        .order_by("-sent_at", "-pk")
        .values_list("pk", "conversation_id")
    )
    decided = 0
    for message_id, conversation_id in due:
        try:
            with transaction.atomic():  # The sweep goes on after a failure: its own block.
                decision = inbound_decide(message_id=message_id)
            if decision is not None:
                decided += 1
            else:
                # Skipped (a person owns the thread now, the renter opted out): nothing left to wait for.
                Message.objects.filter(pk=message_id, decide_after__lte=now).update(decide_after=None)
        except Exception as exc:  # One failed burst must not stop the sweep.
            logger.exception("deciding message %s from the sweep failed", message_id)
            Message.objects.filter(pk=message_id).update(decide_after=None)
            decision_failed(conversation_id=conversation_id, error=exc)
    return decided


def _renter_wrote_to_a_person(conversation: Conversation) -> None:
    """The renter wrote where a person, not the bot, answers: back in the agents' queue, the assignee told.

    The message stays without a decision; handing the conversation back lets the bot answer it
    (``conversation_hand_back``), so nothing the renter says is lost.
    """
    reason = HoldReason.of(ReasonCode.RENTER_WROTE)
    if not conversation_escalate(
        conversation_id=conversation.pk, reasons=[reason], system="decision", locked=conversation
    ):
        # Already in the queue for this: the notice still goes (notify keeps its own quiet period).
        notify_human_needed(conversation_id=conversation.pk, reason=reason.label)


def _suppressed_wrote(conversation: Conversation, message: Message, *, now: dt.datetime) -> None:
    """A suppressed renter wrote again: stay silent; show an agent unless it is another "stop"."""
    if not conversation.opted_out:
        conversation.opted_out = True
        conversation.save(update_fields=["opted_out", "updated_at"])
    transition(conversation, field="follow_up_stage", to=FollowUpStage.STOPPED, reason="suppressed contact")
    again = engine.RulesEngine().classify(DecisionContext(text=message.body)).intent
    if again not in {Intent.OPT_OUT, Intent.NOT_INTERESTED, Intent.SPAM_SCAM}:
        _escalate(conversation, [HoldReason.of(ReasonCode.OPT_OUT, "the suppressed contact wrote again")])
    _skip(conversation, message, "opted out: the contact is on the suppression list")


def _opt_out(conversation: Conversation, *, reason: str) -> None:
    platform, handle = conversation_contact(conversation)
    suppression_add(platform=platform, handle=handle, reason=reason)
    conversation.opted_out = True
    conversation.next_follow_up_at = None
    conversation.save(update_fields=["opted_out", "next_follow_up_at", "updated_at"])
    outbound_cancel_for_conversation(conversation_id=conversation.pk, reason=str(ReasonCode.OPT_OUT))
