"""Every toggle or mode change writes an audit row; the audit log itself cannot change."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from leasebot.core.exceptions import NotAllowed, ValidationFailed
from leasebot.core.models import AuditLog
from leasebot.core.services import audit_batch, audit_record
from platforms import services
from platforms.models import BotSettings, Platform
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def test_account_toggle_and_mode_change_audited_with_before_after(admin_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    services.account_update_policy(account_id=account.pk, actor=admin_user, is_active=False, send_mode="auto_send")
    rows = {r.action: r for r in AuditLog.objects.filter(object_id=str(account.pk))}
    assert rows["account.toggle"].before == {"is_active": True}
    assert rows["account.toggle"].after == {"is_active": False}
    assert rows["account.send_mode"].after == {"send_mode": "auto_send"}
    assert rows["account.toggle"].actor_label == admin_user.username


def test_account_update_without_change_writes_nothing(admin_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    before = AuditLog.objects.count()
    services.account_update_policy(account_id=account.pk, actor=admin_user, is_active=True, send_mode="")
    assert AuditLog.objects.count() == before


def test_account_bad_send_mode_refused_with_reason(admin_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    with pytest.raises(ValidationFailed) as err:
        services.account_update_policy(account_id=account.pk, actor=admin_user, send_mode="sometimes")
    assert "send_mode" in err.value.message


def test_reenabling_account_clears_disable_reason(admin_user) -> None:  # type: ignore[no-untyped-def]
    account = PlatformAccountFactory()
    services.account_disable(account_id=account.pk, reason="Blocked: block page")
    account.refresh_from_db()
    assert not account.is_active
    assert account.disabled_reason
    services.account_update_policy(account_id=account.pk, actor=admin_user, is_active=True)
    account.refresh_from_db()
    assert account.is_active
    assert account.disabled_reason == ""


def test_platform_toggle_audited(admin_user) -> None:  # type: ignore[no-untyped-def]
    platform = Platform.objects.get(slug="renthop")
    services.platform_set_active(platform_id=platform.pk, is_active=False, actor=admin_user)
    row = AuditLog.objects.get(action="platform.toggle")
    assert row.platform == "renthop"
    assert row.after == {"is_active": False}


def test_settings_update_audited_and_validated(admin_user) -> None:  # type: ignore[no-untyped-def]
    services.settings_update(actor=admin_user, default_send_mode="auto_send", rollout_stage="canary")
    assert BotSettings.load().rollout_stage == "canary"
    assert set(AuditLog.objects.values_list("action", flat=True)) >= {
        "settings.default_send_mode",
        "settings.rollout_stage",
    }
    with pytest.raises(ValidationFailed):
        services.settings_update(actor=admin_user, rollout_stage="yolo")
    with pytest.raises(ValidationFailed):
        services.settings_update(actor=admin_user, canary_share_percent=101)


def test_account_create_refuses_plain_password_and_unknown_platform() -> None:
    with pytest.raises(ValidationFailed) as err:
        services.account_create(platform_slug="spareroom", label="x", username="u", credential_ref="hunter2hunter2")
    assert "credential_ref" in err.value.extra["errors"]
    with pytest.raises(ValidationFailed):
        services.account_create(platform_slug="myspace", label="x", username="u", credential_ref="env:X")


def test_audit_log_refuses_update_and_delete_in_app() -> None:
    row = audit_record(action="test.fact", system="test")
    row.reason = "changed"
    with pytest.raises(NotAllowed):
        row.save()
    with pytest.raises(NotAllowed):
        row.delete()
    with pytest.raises(NotAllowed):
        AuditLog.objects.filter(pk=row.pk).update(reason="x")
    with pytest.raises(NotAllowed):
        AuditLog.objects.all().delete()


def test_audit_log_refuses_update_and_delete_in_database() -> None:
    row = audit_record(action="test.fact", system="test")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditlog SET reason = 'x' WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditlog WHERE id = %s", [row.pk])


def test_audit_batch_writes_its_rows_with_one_insert_inside_the_transaction(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    before = AuditLog.objects.count()
    with transaction.atomic(), audit_batch():
        with django_assert_num_queries(0):
            for i in range(5):
                audit_record(action="test.batched", system="test", reason=f"row {i}")
        with audit_batch():  # Nested: joins the outer batch.
            audit_record(action="test.batched", system="test", reason="nested")
    assert AuditLog.objects.count() == before + 6
    assert list(AuditLog.objects.filter(action="test.batched").order_by("id").values_list("reason", flat=True)) == [
        *[f"row {i}" for i in range(5)],
        "nested",
    ]
    assert all(AuditLog.objects.filter(action="test.batched").values_list("created_at", flat=True))


def _record_then_fail() -> None:
    with transaction.atomic(), audit_batch():
        audit_record(action="test.dropped", system="test")
        raise ValueError("boom")


def test_audit_batch_drops_its_rows_with_an_error() -> None:
    with pytest.raises(ValueError, match="boom"):
        _record_then_fail()
    assert not AuditLog.objects.filter(action="test.dropped").exists()
    audit_record(action="test.after", system="test")  # Outside a batch: written at once.
    assert AuditLog.objects.filter(action="test.after").exists()
