"""Agents hear about held replies and escalations by webhook and e-mail, once per quiet period."""

from __future__ import annotations

import pytest
from django.core import mail

from inbox import services
from tests.inbox.factories import ConversationFactory
from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db

RISKY = "Please wire the deposit by Western Union today to hold the room."


def test_held_reply_notifies_agent_by_webhook_and_email(webhook, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_AGENT_WEBHOOK_URL = settings.LEASEBOT_ALERT_WEBHOOK_URL
    settings.LEASEBOT_ALERT_WEBHOOK_URL = ""
    settings.LEASEBOT_AGENT_EMAIL_NOTIFICATIONS = True
    agent = UserFactory(role="agent", email="sam@leasing.test")
    conversation = ConversationFactory(assigned_agent=agent, renter_name="Dana Whitfield")
    with django_capture_on_commit_callbacks(execute=True):
        services.outbound_create(conversation=conversation, body=RISKY, purpose="reply", dispatch_key="r:1")
        services.outbound_create(conversation=conversation, body=RISKY + " Thanks", purpose="reply", dispatch_key="r:2")
    assert len(webhook) == 1  # Once per quiet period.
    notice = webhook[0]
    assert notice["kind"] == "human_needed"
    assert notice["conversation"] == conversation.pk
    assert f"/review/conversations/{conversation.pk}/" in str(notice["url"])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@leasing.test"]
    assert "Dana" not in mail.outbox[0].body
    assert "Western" not in mail.outbox[0].body


def test_no_notice_configured_sends_nothing(settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_AGENT_EMAIL_NOTIFICATIONS = False
    settings.LEASEBOT_AGENT_WEBHOOK_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        services.outbound_create(conversation=ConversationFactory(), body=RISKY, purpose="reply", dispatch_key="r:3")
    assert mail.outbox == []
