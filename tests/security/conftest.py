"""Fixtures of the security suite: one small world with an agent's own and a foreign account."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.test import Client

from inbox.models import CannedReply
from platforms.models import Platform
from platforms.roles import account_grant
from tests.dispatch.factories import DeadLetterFactory
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

ROLES = ("admin", "agent", "ops")


@dataclasses.dataclass
class Side:
    """The objects of one account: conversation, draft, dead letter, canned reply."""

    account: Any
    conversation: Any
    message: Any
    draft: Any
    letter: Any
    canned: Any


@dataclasses.dataclass
class World:
    users: dict[str, Any]
    own: Side
    foreign: Side
    platform: Any

    def ids(self, side: str) -> dict[str, int]:
        objs = self.own if side == "own" else self.foreign
        return {
            "account": objs.account.pk,
            "conversation": objs.conversation.pk,
            "draft": objs.draft.pk,
            "letter": objs.letter.pk,
            "canned": objs.canned.pk,
            "message": objs.message.pk,
            "platform": self.platform.pk,
        }


def _side(label: str, renter: str) -> Side:
    account = PlatformAccountFactory(label=label)
    conversation = ConversationFactory(account=account, renter_name=renter)
    message = MessageFactory(conversation=conversation, sender_name=renter, body="Hi, is the room still available?")
    draft = OutboundFactory(conversation=conversation, body="Hello! Yes, the room is available from June 1.")
    letter = DeadLetterFactory(account=account)
    canned = CannedReply.objects.create(title=f"Hello {label}", body="Thanks for your message.", account=account)
    return Side(account, conversation, message, draft, letter, canned)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Users are made by the dozen here; a slow hasher would only measure PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: Any) -> World:
    users = {role: UserFactory(username=f"sec-{role}", role=role) for role in ROLES}
    users["norole"] = UserFactory(username="sec-norole")
    own = _side("sec-own", "Jamie Own")
    foreign = _side("sec-foreign", "Riley Foreign")
    account_grant(user=users["agent"], account=own.account)
    return World(users=users, own=own, foreign=foreign, platform=Platform.objects.get(slug="spareroom"))


def session_client(user: Any | None, *, enforce_csrf: bool = False) -> Client:
    """A browser-like client logged in with a session (as the review UI is)."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    if user is not None:
        client.force_login(user)
    return client
