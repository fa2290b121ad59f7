"""The message an agent is offered to send the renter after booking, moving or cancelling a showing.

An agent's change from the lead panel tells the renter nothing by itself (only the day-before
confirmation request follows a booking). So the panel's actions return a suggested message,
rendered here from the reply templates in the renter's language exactly as the bot writes its
own confirmation: the slot as the renter reads it, in the unit's time zone
(``inbox.engine.plan.slot_label``), and the address once a showing is booked. Nothing is sent
from here: the page puts the text in the agent's reply box and the agent sends it with Send,
through the one outbox door (``conversation_reply``).

A booking reuses the bot's ``showing_confirmed``; a move and an agent's cancellation have their
own keys (``showing_moved``, ``showing_cancelled_by_agent``: the keys in migration inbox 0023,
their texts in 0024). With no template in the renter's language there is no suggestion, only a
note saying so (never a text from another language).
"""

from __future__ import annotations

import dataclasses
import enum

from django.utils import timezone

from inbox.choices import Language, TemplateKey
from inbox.engine.base import DecisionContext
from inbox.engine.plan import template_context
from inbox.language import reply_language
from inbox.models import Conversation, Showing
from inbox.selectors import templates_for_conversation, unit_facts
from inbox.templating import render_template


class ShowingChange(enum.StrEnum):
    """What an agent did to the renter's showing from the panel."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


#: The template each change suggests.
CHANGE_TEMPLATES: dict[ShowingChange, str] = {
    ShowingChange.BOOKED: TemplateKey.SHOWING_CONFIRMED,
    ShowingChange.RESCHEDULED: TemplateKey.SHOWING_MOVED,
    ShowingChange.CANCELLED: TemplateKey.SHOWING_CANCELLED_BY_AGENT,
}

_LANGUAGE_WORDS = {Language.EN: "English", Language.ES: "Spanish"}


@dataclasses.dataclass(frozen=True)
class SuggestedReply:
    """A text for the renter, from which template (and version), in which language; ``missing``: facts left empty."""

    text: str
    template: str
    version: int
    language: str
    missing: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """The suggestion for one change, or none with ``note`` saying why (``note`` may also qualify a suggestion)."""

    reply: SuggestedReply | None
    note: str = ""


def showing_suggested_reply(showing: Showing, *, change: ShowingChange) -> Suggestion:
    """Render the message that tells the renter about ``change`` to ``showing``; never sends anything."""
    if showing.conversation_id is None:
        return Suggestion(None, "The showing belongs to no conversation: no message is suggested.")
    conversation = Conversation.objects.select_related("account__platform").get(pk=showing.conversation_id)
    if conversation.opted_out:
        return Suggestion(None, "The renter opted out: no message is suggested.")
    language = reply_language(conversation.language)
    key = CHANGE_TEMPLATES[change]
    template = templates_for_conversation(conversation).get(key)
    if template is None:
        label = TemplateKey(key).label
        return Suggestion(
            None,
            f"No “{label}” template in {_LANGUAGE_WORDS[Language(language)]}: no message is suggested;"
            " write to the renter yourself.",
        )
    booked = change is not ShowingChange.CANCELLED
    ctx = DecisionContext(
        text="",
        renter_name=conversation.renter_name,
        facts=unit_facts(showing.unit, today=timezone.localdate(), booked=booked, language=language),
        lead_profile=dict(conversation.lead_profile or {}),
        booked_slot={
            "label": showing.source.get("label", ""),
            "starts_at": showing.starts_at.isoformat(),
            "timezone": showing.source.get("timezone", "") or showing.unit.timezone,
        },
        language=language,
    )
    values = template_context(ctx, ctx.lead_profile)
    if booked and ctx.facts is not None:
        values["address"] = ctx.facts.booked_address
    text, missing = render_template(template.body, values)
    notes = []
    if missing:
        notes.append(f"Check the suggested message: nothing is known for {', '.join(missing)}.")
    if conversation.language == Language.OTHER:
        notes.append("The renter writes in another language: the suggestion is in English.")
    reply = SuggestedReply(text, template.key, template.version, template.language, tuple(missing))
    return Suggestion(reply, " ".join(notes))
