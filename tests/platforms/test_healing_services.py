"""Healing on the database (platforms/healing.py): fingerprints written only when changed, proposals, overrides."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from leasebot.core.exceptions import ValidationFailed
from leasebot.core.models import AuditLog
from platforms.choices import HealingStatus
from platforms.connectors.base import AccountConfig
from platforms.connectors.healing import Fingerprint, Healing
from platforms.connectors.registry import connector_classes
from platforms.guard import Guard
from platforms.healing import DatabaseMemory, healing_accept, healing_reject, override_revert, override_set
from platforms.models import HealingEvent, LocatorFingerprint, LocatorOverride, Platform
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db

RAW = {"tag": "textarea", "attrs": {"name": "message"}, "parents": [{"tag": "form", "classes": ["reply-form"]}]}


def _healing(account_id: int, proposed: str = "textarea.c1a2b3c", *, held: bool = False) -> Healing:
    return Healing(
        platform="spareroom",
        account_id=account_id,
        key="reply.body",
        kind="element",
        old=("textarea[name='message']",),
        proposed=proposed,
        score=0.83,
        evidence={"before": "<textarea>", "after": "<textarea class='c1a2b3c'>"},
        held=held,
    )


def _connector(account_id: int) -> Any:
    config = AccountConfig(
        account_id=account_id, platform="spareroom", base_url="http://127.0.0.1:9", username="u", credential_ref=""
    )
    cls = connector_classes()["spareroom"]
    return cls(config, runtime=cast(Any, None), guard=Guard(account_id=account_id), memory=DatabaseMemory())


def test_a_fingerprint_is_written_when_it_changes_and_never_when_it_does_not(django_assert_num_queries):
    # given: a connector (a job) that saw the reply box once
    account = PlatformAccountFactory()
    connector = _connector(account.pk)
    connector.note_print("reply.body", RAW)
    assert LocatorFingerprint.objects.get(account=account, key="reply.body").data["tag"] == "textarea"

    # when: the same element again, in this job and in the next one (which loads the stored prints once)
    with django_assert_num_queries(0):
        connector.note_print("reply.body", RAW)
    later = _connector(account.pk)
    with django_assert_num_queries(1):
        later.note_print("reply.body", RAW)

    # then: a changed element is written again (by the next job: a job keeps its first match)
    _connector(account.pk).note_print("reply.body", {**RAW, "parents": [{"tag": "div"}, *RAW["parents"]]})
    stored = Fingerprint.from_json(LocatorFingerprint.objects.get(account=account, key="reply.body").data)
    assert [p.tag for p in stored.parents] == ["div", "form"]


def test_the_same_proposal_is_one_row_counted_and_a_rejected_one_is_never_used_again(admin_user):
    account = PlatformAccountFactory()
    memory = DatabaseMemory()
    first = memory.record_healing(_healing(account.pk))
    again = memory.record_healing(_healing(account.pk, held=True))
    assert first == again
    event = HealingEvent.objects.get(pk=first)
    assert (event.occurrences, event.held_sends, event.status) == (2, 1, HealingStatus.OPEN)

    with pytest.raises(ValidationFailed):
        healing_reject(event_id=event.pk, actor=admin_user, reason=" ")
    healing_reject(event_id=event.pk, actor=admin_user, reason="that is the search box")
    assert memory.record_healing(_healing(account.pk)) is None
    assert AuditLog.objects.filter(action="locator.healing_rejected").exists()


def test_a_proposal_that_failed_validation_is_not_used_again():
    account = PlatformAccountFactory()
    memory = DatabaseMemory()
    event_id = memory.record_healing(_healing(account.pk))
    assert event_id is not None
    memory.healing_failed(event_id, "an empty message body")
    assert HealingEvent.objects.get(pk=event_id).status == HealingStatus.FAILED
    assert memory.record_healing(_healing(account.pk)) is None


def test_accepting_makes_a_versioned_override_that_every_new_connector_applies_and_revert_restores(admin_user):
    # given: an override set by hand, then a proposal accepted with an edit
    account = PlatformAccountFactory()
    memory = DatabaseMemory()
    manual = override_set(
        platform="spareroom", key="reply.body", value="textarea#reply", actor=admin_user, reason="hotfix"
    )
    event_id = memory.record_healing(_healing(account.pk))
    assert event_id is not None
    accepted = healing_accept(
        event_id=event_id, actor=admin_user, reason="the new build", value="form textarea.c1a2b3c"
    )

    # then: version 2 is the one in force, and a new connector (the next job) tries it first
    assert (accepted.version, accepted.value, accepted.replaces) == (2, "form textarea.c1a2b3c", manual)
    assert list(LocatorOverride.objects.filter(active=True).values_list("version", flat=True)) == [2]
    assert HealingEvent.objects.get(pk=event_id).status == HealingStatus.ACCEPTED
    connector = _connector(account.pk)
    spec = connector.locators.element("reply.body")
    assert connector.candidates("reply.body", spec)[0] == "form textarea.c1a2b3c"

    # when: one click takes it back
    restored = override_revert(override_id=accepted.pk, actor=admin_user, reason="wrong box")

    # then: the version it replaced is in force again, and everything is in the audit log
    assert restored == manual
    assert _connector(account.pk).candidates("reply.body", spec)[0] == "textarea#reply"
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"locator.override_set", "locator.healing_accepted", "locator.override_revert"} <= actions
    with pytest.raises(ValidationFailed):
        healing_accept(event_id=event_id, actor=admin_user, reason="again")


# --- the admin ------------------------------------------------------------------------------


def test_admin_shows_the_evidence_and_accepts_an_edited_proposal_with_a_reason(admin_user):
    account = PlatformAccountFactory()
    event_id = DatabaseMemory().record_healing(_healing(account.pk))
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:platforms_healingevent_change", args=[event_id])

    page = client.get(url).content.decode()
    assert "textarea.c1a2b3c" in page
    assert "redacted" in page

    refused = client.post(url, {"decision": "accept", "value": "form textarea", "why": ""})
    assert refused.status_code == 200  # The form again: a reason is required.
    assert not LocatorOverride.objects.exists()

    done = client.post(url, {"decision": "accept", "value": "form textarea", "why": "checked on the live site"})
    assert done.status_code == 302
    override = LocatorOverride.objects.get(active=True)
    assert (override.key, override.value, override.created_by) == ("reply.body", "form textarea", admin_user)


def test_admin_list_actions_ask_for_a_reason_and_revert_in_one_click(admin_user):
    account = PlatformAccountFactory()
    event_id = DatabaseMemory().record_healing(_healing(account.pk))
    client = Client()
    client.force_login(admin_user)
    changelist = reverse("admin:platforms_healingevent_changelist")
    ask = client.post(changelist, {"action": "accept_selected", ACTION_CHECKBOX_NAME: [event_id]})
    assert "Reason (required)" in ask.content.decode()
    client.post(
        changelist,
        {"action": "accept_selected", ACTION_CHECKBOX_NAME: [event_id], "confirmed": "yes", "reason": "new build"},
    )
    override = LocatorOverride.objects.get(active=True)

    client.post(
        reverse("admin:platforms_locatoroverride_changelist"),
        {"action": "revert_selected", ACTION_CHECKBOX_NAME: [override.pk], "confirmed": "yes", "reason": "wrong"},
    )
    assert not LocatorOverride.objects.filter(active=True).exists()


def test_admin_refuses_an_override_for_a_key_the_map_does_not_have(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:platforms_locatoroverride_add"),
        {
            "platform": Platform.objects.get(slug="spareroom").pk,
            "key": "reply.bdoy",
            "value": "textarea",
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert "has no" in response.content.decode()
    assert not LocatorOverride.objects.exists()
