"""Writes of the review desk: private notes, assignment, canned replies. Every one is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from guardian.shortcuts import get_users_with_perms

from inbox.guardrails import check_text
from inbox.models import CannedReply, Conversation, ConversationNote
from leasebot.core.exceptions import Conflict, ValidationFailed
from leasebot.core.services import audit_record
from platforms.models import Platform, PlatformAccount
from platforms.roles import ACCESS_PERM, user_role

Actor = AbstractBaseUser | AnonymousUser | None

MAX_NOTE = 4000
MAX_CANNED = 4000


def _text(value: str, *, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"{field} is empty", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{field} is longer than {limit} characters", field=field)
    return text


@transaction.atomic
def note_create(*, conversation: Conversation, actor: Actor, body: str) -> ConversationNote:
    """Add a private note (never sent to the renter); the audit row holds no text."""
    text = _text(body, field="body", limit=MAX_NOTE)
    author: Any = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    note = ConversationNote.objects.create(conversation=conversation, author=author, body=text)
    audit_record(action="conversation.note", actor=actor, obj=conversation, after={"note": note.pk})
    return note


def agent_may_work_on(user: Any, account: PlatformAccount) -> bool:
    """Return whether a user may be given conversations of an account (admins, or granted agents)."""
    role = user_role(user)
    if role == "admin":
        return True
    return role == "agent" and user.has_perm(ACCESS_PERM, account)


def assignable_agents(account: PlatformAccount) -> list[Any]:
    """Return the agents granted the account, by name (the people a conversation can go to)."""
    users: Any = get_users_with_perms(account, only_with_perms_in=["access_platformaccount"], with_group_users=False)
    return sorted(users.filter(groups__name="agent", is_active=True), key=lambda u: u.get_username())


@transaction.atomic
def conversation_assign(*, conversation_id: int, actor: Actor, agent_id: int | None) -> Conversation:
    """Give a conversation to an agent granted its account; ``None`` returns it to the unit's primary agent."""
    conversation = Conversation.objects.select_for_update().select_related("account").get(pk=conversation_id)
    agent = None
    if agent_id is not None:
        agent = get_user_model().objects.filter(pk=agent_id, is_active=True).first()
        if agent is None:
            raise ValidationFailed("no such active user", field="agent")
        if not agent_may_work_on(agent, conversation.account):
            raise ValidationFailed("that user is not granted this conversation's account", field="agent")
    before = {"assigned_agent": conversation.assigned_agent_id}
    if before["assigned_agent"] == (agent.pk if agent else None):
        return conversation
    conversation.assigned_agent = agent
    conversation.save(update_fields=["assigned_agent", "updated_at"])
    audit_record(
        action="conversation.assign",
        actor=actor,
        obj=conversation,
        platform=conversation.account.platform.slug,
        before=before,
        after={"assigned_agent": agent.pk if agent else None},
    )
    return conversation


def _canned_checked(body: str) -> str:
    text = _text(body, field="body", limit=MAX_CANNED)
    result = check_text(text)
    if not result.ok:
        raise ValidationFailed(
            "this text breaks a guardrail and cannot be a canned reply",
            field="body",
            reasons=[f"guardrail:{f.category}: {f.reason}" for f in result.flags],
        )
    return text


@transaction.atomic
def canned_reply_create(
    *,
    actor: Actor,
    title: str,
    body: str,
    account: PlatformAccount | None = None,
    platform: Platform | None = None,
) -> CannedReply:
    """Add a canned reply (global, for one platform, or for one account); its text must pass the guardrails."""
    if account is not None and platform is not None:
        raise ValidationFailed("scope a canned reply to a platform or to an account, not both", field="platform")
    title = _text(title, field="title", limit=120)
    text = _canned_checked(body)
    creator: Any = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            row = CannedReply.objects.create(
                title=title, body=text, account=account, platform=platform, created_by=creator
            )
    except IntegrityError:
        raise Conflict("a canned reply with this title already exists here", field="title") from None
    audit_record(
        action="canned_reply.create",
        actor=actor,
        obj=row,
        after={
            "title": title,
            "account": account.pk if account else None,
            "platform": platform.slug if platform else None,
        },
    )
    return row


@transaction.atomic
def canned_reply_update(
    *,
    canned_reply_id: int,
    actor: Actor,
    title: str | None = None,
    body: str | None = None,
    is_active: bool | None = None,
) -> CannedReply:
    """Change a canned reply's title, text or switch; audited."""
    row = CannedReply.objects.select_for_update().get(pk=canned_reply_id)
    before = {"title": row.title, "is_active": row.is_active}
    if title is not None:
        row.title = _text(title, field="title", limit=120)
    if body is not None:
        row.body = _canned_checked(body)
    if is_active is not None:
        row.is_active = is_active
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict("a canned reply with this title already exists here", field="title") from None
    audit_record(
        action="canned_reply.update",
        actor=actor,
        obj=row,
        before=before,
        after={"title": row.title, "is_active": row.is_active},
    )
    return row


@transaction.atomic
def canned_reply_delete(*, canned_reply_id: int, actor: Actor) -> None:
    """Remove a canned reply for good; audited."""
    row = CannedReply.objects.select_for_update().get(pk=canned_reply_id)
    audit_record(action="canned_reply.delete", actor=actor, obj=row, before={"title": row.title})
    row.delete()
