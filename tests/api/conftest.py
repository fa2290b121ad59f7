"""Fixtures of the API tests: a client per role, and an agent granted one account of two."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from platforms.roles import account_grant
from tests.factories import ConversationFactory, MessageFactory, OutboundFactory, PlatformAccountFactory


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_client(admin_user: Any) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def agent_client(agent_user: Any) -> APIClient:
    return client_for(agent_user)


@pytest.fixture
def ops_client(ops_user: Any) -> APIClient:
    return client_for(ops_user)


@pytest.fixture
def granted(agent_user: Any, account: Any) -> Any:
    """The account the agent works on."""
    account_grant(user=agent_user, account=account)
    return account


@pytest.fixture
def foreign_account(db: Any) -> Any:
    """An account the agent is not granted."""
    return PlatformAccountFactory(label="someone-elses")


@pytest.fixture
def conversation(granted: Any) -> Any:
    conv = ConversationFactory(account=granted, renter_name="Jamie Renter")
    MessageFactory(conversation=conv, body="Hi, is the room still available?")
    return conv


@pytest.fixture
def draft(conversation: Any) -> Any:
    return OutboundFactory(conversation=conversation, body="Hello! Yes, the room is available from June 1.")


@pytest.fixture
def foreign_conversation(foreign_account: Any) -> Any:
    conv = ConversationFactory(account=foreign_account, renter_name="Other Renter")
    MessageFactory(conversation=conv, body="Hello there")
    return conv


@pytest.fixture
def foreign_draft(foreign_conversation: Any) -> Any:
    return OutboundFactory(conversation=foreign_conversation, body="A reply on someone else's account.")
