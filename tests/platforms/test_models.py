"""Database constraints guard the invariants, not only Python checks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from inbox.models import Conversation, Message, OutboundMessage
from leasebot.core.exceptions import ValidationFailed
from platforms.models import BotSettings, Platform, PlatformAccount
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def test_platforms_seeded_with_the_five_slugs_exactly() -> None:
    assert sorted(Platform.objects.values_list("slug", flat=True)) == [
        "furnishedfinder",
        "leasebreak",
        "renthop",
        "roomies",
        "spareroom",
    ]


def test_platform_unknown_slug_refused_by_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Platform.objects.create(slug="craigslist", name="Craigslist")


def test_platform_unknown_slug_refused_by_model_validation() -> None:
    with pytest.raises(ValidationError) as err:
        Platform(slug="craigslist", name="Craigslist").full_clean()
    assert "slug" in err.value.message_dict


@pytest.mark.parametrize(
    "secret", ["hunter2hunter2", "P@ssw0rd!", "env:lowercase", "env:", "vault:x", "env:NAME with space"]
)
def test_account_plain_password_refused_by_model_validation(secret: str) -> None:
    account = PlatformAccountFactory.build(platform=Platform.objects.get(slug="roomies"), credential_ref=secret)
    with pytest.raises(ValidationError) as err:
        account.full_clean()
    assert "credential_ref" in err.value.message_dict
    if len(secret) > 6:
        assert secret not in str(err.value)  # The refusal never echoes what may be a password.


def test_account_plain_password_refused_by_database() -> None:
    account = PlatformAccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlatformAccount.objects.filter(pk=account.pk).update(credential_ref="correct-horse-battery")


@pytest.mark.parametrize("ref", ["env:SPAREROOM_PASSWORD", "file:/run/secrets/spareroom", ""])
def test_account_reference_accepted(ref: str) -> None:
    account = PlatformAccountFactory.build(platform=Platform.objects.get(slug="roomies"), credential_ref=ref)
    account.full_clean()


def test_account_send_mode_outside_two_values_refused_everywhere() -> None:
    account = PlatformAccountFactory()
    account.send_mode = "yolo"
    with pytest.raises(ValidationError):
        account.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlatformAccount.objects.filter(pk=account.pk).update(send_mode="yolo")


def test_botsettings_second_row_refused_by_model_and_database() -> None:
    assert BotSettings.objects.count() == 1
    with pytest.raises(ValidationFailed):
        BotSettings(id=2).save()
    with pytest.raises(ValidationFailed):
        BotSettings().save()  # A new object with the default id 1 while row 1 exists.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO platforms_botsettings (id, default_send_mode, rollout_stage, canary_share_percent, max_auto_send_age_minutes, allowlist_only, updated_at) VALUES (2, 'draft_only', 'shadow', 0, 0, false, now())"
        )


def test_botsettings_defaults_are_safe() -> None:
    row = BotSettings.load()
    assert (row.default_send_mode, row.rollout_stage) == ("draft_only", "shadow")


def test_conversation_duplicate_thread_per_account_refused() -> None:
    conv = ConversationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(account=conv.account, thread_ref=conv.thread_ref)


def test_conversation_same_thread_ref_on_other_account_allowed() -> None:
    conv = ConversationFactory()
    other = ConversationFactory(thread_ref=conv.thread_ref)
    assert other.account_id != conv.account_id


def test_message_duplicate_ref_per_conversation_refused() -> None:
    msg = MessageFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=msg.conversation,
            direction="in",
            platform_message_ref=msg.platform_message_ref,
            body="again",
            sent_at=msg.sent_at,
        )


def test_outbound_duplicate_dispatch_key_refused() -> None:
    row = OutboundFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundFactory(dispatch_key=row.dispatch_key, conversation=row.conversation)


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "launched"), ("purpose", "spam"), ("source", "robot")],
)
def test_outbound_invalid_values_refused_by_database(field: str, value: str) -> None:
    row = OutboundFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundMessage.objects.filter(pk=row.pk).update(**{field: value})


def test_outbound_sending_without_lease_refused() -> None:
    row = OutboundFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundMessage.objects.filter(pk=row.pk).update(status="sending", sending_started_at=None)


@pytest.mark.parametrize(
    ("field", "value"),
    [("workflow_outcome", "married"), ("showing_state", "maybe"), ("follow_up_stage", "tenth")],
)
def test_conversation_workflow_values_checked_by_database(field: str, value: str) -> None:
    conv = ConversationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.filter(pk=conv.pk).update(**{field: value})
