"""``manage.py preflight`` reports what is wrong and exits non-zero, and never prints a secret."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from rollout import preflight
from tests.platforms.factories import PlatformAccountFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, bool]:
    out = io.StringIO()
    try:
        call_command("preflight", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), False
    return out.getvalue(), True


def test_preflight_all_clear(db, monkeypatch):
    monkeypatch.setenv("TEST_PLATFORM_PASSWORD", "s3cret-value-never-printed")
    PlatformAccountFactory()
    text, ok = _run("--skip", "browser")
    assert ok, text
    assert "[ OK ] database" in text
    assert "[ OK ] redis" in text
    assert "[ OK ] broker" in text
    assert "[ OK ] schedules" in text
    assert "[ OK ] credentials: 1 active account" in text
    assert "s3cret-value-never-printed" not in text


def test_preflight_reports_an_unresolvable_credential_without_its_value(db, monkeypatch):
    monkeypatch.delenv("TEST_PLATFORM_PASSWORD", raising=False)
    monkeypatch.setenv("OTHER_SECRET", "hunter2-hunter2")
    PlatformAccountFactory(label="main")
    PlatformAccountFactory(label="ok", credential_ref="env:OTHER_SECRET")
    PlatformAccountFactory(label="off", is_active=False, credential_ref="env:MISSING_BUT_OFF")
    text, ok = _run("--skip", "browser")
    assert not ok
    assert "[FAIL] credentials: spareroom/main: env:TEST_PLATFORM_PASSWORD does not resolve" in text
    assert "MISSING_BUT_OFF" not in text  # Switched-off accounts are not checked.
    assert "hunter2" not in text
    assert "preflight found 1 problem(s)" in text


def test_preflight_reports_a_missing_or_disabled_schedule(db):
    PeriodicTask.objects.filter(name="rollout.auto_rollback_check").delete()
    PeriodicTask.objects.filter(name="dispatch.send_platform:roomies").update(enabled=False)
    text, ok = _run("--skip", "browser", "credentials")
    assert not ok
    assert "periodic task rollout.auto_rollback_check is missing" in text
    assert "periodic task dispatch.send_platform:roomies is disabled" in text


def test_preflight_reports_services_down(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    findings = preflight.check_services()
    assert any(f.category == "redis" and f.status == preflight.FAIL for f in findings)


def test_preflight_production_settings_problems(settings):
    settings.IS_PRODUCTION = True
    settings.LEASEBOT_RUNTIME = "mock"
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    settings.LEASEBOT_GATE_DISPATCH_SUCCESS_MIN = 1.5
    messages = [f.message for f in preflight.check_settings() if f.status == preflight.FAIL]
    assert any("production needs 'playwright'" in m for m in messages)
    assert any("DEBUG is on" in m for m in messages)
    assert any("ALLOWED_HOSTS is empty" in m for m in messages)
    assert any("LEASEBOT_GATE_DISPATCH_SUCCESS_MIN" in m for m in messages)


def test_preflight_browser_resolution(settings, tmp_path):
    settings.LEASEBOT_BROWSER = str(tmp_path / "no-such-chromium")
    assert preflight.check_browser()[0].status == preflight.FAIL
    binary = tmp_path / "chromium"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    settings.LEASEBOT_BROWSER = str(binary)
    assert preflight.check_browser()[0].status == preflight.OK
    assert preflight.resolve_browser("playwright", playwright_path=lambda: None)[0] is None
    assert preflight.resolve_browser("auto", playwright_path=lambda: "/opt/pw/chrome")[0] == "/opt/pw/chrome"
