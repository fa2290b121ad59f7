"""An admin retries a dead letter from the Django admin; it stays exactly-once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dispatch import services
from dispatch.models import DeadLetter
from inbox import services as inbox_services
from platforms.connectors import errors
from tests.dispatch.fakes import FakePlatform
from tests.inbox.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_admin_retry_action_requeues_once(fake_platform: FakePlatform, auto_send, admin_user, ops_user) -> None:  # type: ignore[no-untyped-def]
    conv = ConversationFactory()
    row = inbox_services.outbound_create(
        conversation=conv, body="Hello there, still available.", purpose="reply", dispatch_key="r:1"
    )
    fake_platform.send_errors.append(errors.Permanent("rejected"))
    services.send_account_run(account_id=row.account_id)
    letter = DeadLetter.objects.get(outbound=row)
    url = reverse("admin:dispatch_deadletter_changelist")

    ops = Client()
    ops.force_login(ops_user)
    ops.post(url, {"action": "retry", "_selected_action": [letter.pk], "confirmed": "yes"})
    letter.refresh_from_db()
    assert letter.status == "open"  # Ops may look, not retry.

    admin = Client()
    admin.force_login(admin_user)
    page = admin.post(url, {"action": "retry", "_selected_action": [letter.pk]})
    assert "Yes, I" in page.content.decode()  # Confirmation first.
    admin.post(url, {"action": "retry", "_selected_action": [letter.pk], "confirmed": "yes"})
    admin.post(url, {"action": "retry", "_selected_action": [letter.pk], "confirmed": "yes"})  # A double click.
    letter.refresh_from_db()
    row.refresh_from_db()
    assert letter.status == "retried"
    assert row.status == "queued"
    services.send_account_run(account_id=row.account_id)
    assert len(fake_platform.sent) == 1
