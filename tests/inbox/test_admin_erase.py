"""An admin erases a renter's data from the Django admin, after confirming."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inbox.models import Conversation, Message
from leasebot.core.models import AuditLog
from tests.inbox.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_admin_erase_action_confirms_then_erases(admin_user, ops_user) -> None:  # type: ignore[no-untyped-def]
    message = MessageFactory(body="Hi, I'm Dana Whitfield, call me at 917-555-0143", sender_name="Dana Whitfield")
    conversation = message.conversation
    Conversation.objects.filter(pk=conversation.pk).update(renter_name="Dana Whitfield", renter_handle="dana.w")
    url = reverse("admin:inbox_conversation_changelist")

    ops = Client()
    ops.force_login(ops_user)
    ops.post(url, {"action": "erase_renter_data", "_selected_action": [conversation.pk], "confirmed": "yes"})
    assert Conversation.objects.get(pk=conversation.pk).renter_name == "Dana Whitfield"  # Not for ops.

    admin = Client()
    admin.force_login(admin_user)
    page = admin.post(url, {"action": "erase_renter_data", "_selected_action": [conversation.pk]})
    assert "cannot be undone" in page.content.decode()
    assert Conversation.objects.get(pk=conversation.pk).renter_name == "Dana Whitfield"
    admin.post(url, {"action": "erase_renter_data", "_selected_action": [conversation.pk], "confirmed": "yes"})
    conversation.refresh_from_db()
    assert "Dana" not in conversation.renter_name
    assert "Dana" not in Message.objects.get(pk=message.pk).body
    assert "917-555-0143" not in Message.objects.get(pk=message.pk).body
    assert AuditLog.objects.filter(actor=admin_user, action__startswith="privacy").exists()
