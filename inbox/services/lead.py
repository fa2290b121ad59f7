"""The lead profile: what the renter told about their plans, recorded by the engine and corrected by agents.

One door for the profile's qualification answers: the engine records what a renter volunteers
(``lead_profile_record``, inside its decision under the conversation's lock), an agent corrects
or completes it from the lead panel (``lead_qualification_edit``, audited). An agent's edit is
optimistic: it names the values it saw, and if the renter's message (or another agent) changed
one of them meanwhile the edit is refused (``Conflict``, HTTP 409) with what it is now, never
written over it blind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from inbox.engine.handlers import ASKED
from inbox.models import Conversation
from leasebot.core.exceptions import Conflict, ValidationFailed
from leasebot.core.services import audit_record

Actor = Any

#: The answers an agent may edit, with their words (the keys the engine's extractor writes).
QUALIFICATION_FIELDS: dict[str, str] = {
    "move_in_date": "move-in date",
    "budget": "budget",
    "occupants": "occupants",
    "pets": "pets",
    "lease_months": "lease length",
}


def lead_profile_record(conversation: Conversation, values: dict[str, Any], *, asked: str = "") -> bool:
    """Merge what the renter told into the lead profile, and the qualification question just asked.

    The caller holds the conversation's row lock. Empty values never erase an answer.
    Returns whether anything changed.
    """
    profile = dict(conversation.lead_profile or {})
    changed = {k: v for k, v in values.items() if k != "affirmed" and v not in (None, "") and profile.get(k) != v}
    if asked and asked not in (profile.get(ASKED) or []):
        changed[ASKED] = [*(profile.get(ASKED) or []), asked]
    if not changed:
        return False
    profile.update(changed)
    conversation.lead_profile = profile
    conversation.save(update_fields=["lead_profile", "updated_at"])
    return True


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def lead_qualification_edit(
    *, conversation_id: int, actor: Actor, changes: dict[str, Any], seen: dict[str, Any]
) -> Conversation:
    """Set (or clear, with ``None``) qualification answers an agent corrected; audited with before and after.

    ``changes`` holds validated values (a date for the move-in date, whole numbers, the pets as
    text); ``seen`` the values the agent's page showed for those keys (absent: none). A key whose
    stored value differs from what was seen raises ``Conflict`` naming the value now stored.
    """
    unknown = sorted(set(changes) - set(QUALIFICATION_FIELDS))
    if unknown:
        raise ValidationFailed(f"not a qualification answer: {', '.join(unknown)}", field="changes")
    if not changes:
        raise ValidationFailed("nothing to change", field="changes")
    conversation = (
        Conversation.objects.select_for_update(of=("self",)).select_related("account__platform").get(pk=conversation_id)
    )
    profile = dict(conversation.lead_profile or {})
    for key in changes:
        if profile.get(key) != seen.get(key):
            now = profile.get(key)
            raise Conflict(
                f"the {QUALIFICATION_FIELDS[key]} changed since the page was loaded: it is now "
                f"{'not set' if now in (None, '') else now}",
                field=key,
            )
    before = {key: profile.get(key) for key in changes}
    after = {key: _json_value(value) for key, value in changes.items()}
    if before == after:
        return conversation
    for key, value in after.items():
        if value in (None, ""):
            profile.pop(key, None)
        else:
            profile[key] = value
    conversation.lead_profile = profile
    conversation.save(update_fields=["lead_profile", "updated_at"])
    audit_record(
        action="conversation.qualify",
        actor=actor,
        obj=conversation,
        platform=conversation.account.platform.slug,
        before=before,
        after=after,
        reason="qualification edited by an agent",
    )
    return conversation
