"""Pre-flight checks before a deploy or a stage change: settings, services, browser, credentials, schedules.

Each check returns ``Finding`` rows; a ``fail`` means lease-bot must not run like this,
a ``warn`` is worth a look. Nothing here prints or returns a secret: credential checks
name the reference (``env:NAME``), never its value.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from celery import current_app
from django.conf import settings

from dispatch.schedules import PLATFORM_SLUGS, SCHEDULES
from leasebot.core.redis import client as redis_client
from platforms.browser import find_system_chromium
from platforms.choices import LoginMethod
from platforms.credentials import reference_is_resolvable
from platforms.models import PlatformAccount
from rollout.gates import GATE_SETTINGS, setting

OK = "ok"
WARN = "warn"
FAIL = "fail"

# The development default of settings.py, which production must never run with.
DEV_SECRET_KEY = "local-development-only-key-not-for-production-use"  # noqa: S105 - a known public value.


@dataclasses.dataclass(frozen=True)
class Finding:
    """One check's verdict."""

    category: str
    status: str
    message: str


def check_settings() -> list[Finding]:
    """Production safety and sane thresholds."""
    out: list[Finding] = []
    production = settings.IS_PRODUCTION
    runtime = settings.LEASEBOT_RUNTIME
    if production:
        if runtime != "playwright":
            out.append(Finding("settings", FAIL, f"LEASEBOT_RUNTIME is {runtime!r}; production needs 'playwright'"))
        if settings.DEBUG:
            out.append(Finding("settings", FAIL, "DEBUG is on in production"))
        if settings.SECRET_KEY == DEV_SECRET_KEY or len(settings.SECRET_KEY) < 50:
            out.append(Finding("settings", FAIL, "SECRET_KEY is the development key or shorter than 50 characters"))
        if not settings.ALLOWED_HOSTS:
            out.append(Finding("settings", FAIL, "ALLOWED_HOSTS is empty"))
        if not settings.SENTRY_DSN:
            out.append(Finding("settings", WARN, "SENTRY_DSN is not set: errors reach no one but the logs"))
        if not settings.LEASEBOT_ALERT_WEBHOOK_URL:
            out.append(Finding("settings", WARN, "LEASEBOT_ALERT_WEBHOOK_URL is not set: alerts go to the log only"))
    elif runtime != "playwright":
        out.append(
            Finding("settings", WARN, f"LEASEBOT_RUNTIME is {runtime!r} (fine for tests, refused in production)")
        )
    for name in GATE_SETTINGS:
        value = setting(name)
        if not isinstance(value, int | float) or value < 0:
            out.append(Finding("settings", FAIL, f"{name} must be a number >= 0, not {value!r}"))
        elif name.endswith(("_MIN", "_RATE_MAX")) and value > 1:
            out.append(Finding("settings", FAIL, f"{name} is a share and must lie between 0 and 1, not {value!r}"))
    state_dir = Path(settings.LEASEBOT_STATE_DIR).resolve()
    if state_dir.is_relative_to(Path(settings.BASE_DIR).resolve()) and production:
        out.append(
            Finding(
                "settings", FAIL, f"LEASEBOT_STATE_DIR {state_dir} lies inside the code tree; session state is a secret"
            )
        )
    if not out:
        out.append(Finding("settings", OK, f"{settings.DJANGO_ENV} settings look right (runtime {runtime})"))
    return out


def check_services() -> list[Finding]:
    """Database (and migrations), Redis and the broker answer."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    out: list[Finding] = []
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            out.append(Finding("database", FAIL, f"{len(plan)} migration(s) not applied; run manage.py migrate"))
        else:
            out.append(Finding("database", OK, "database answers and every migration is applied"))
    except Exception as exc:  # noqa: BLE001 - any failure is the finding; the class name is the reason.
        out.append(Finding("database", FAIL, f"database unavailable: {type(exc).__name__}"))
    try:
        redis_client().ping()
        out.append(Finding("redis", OK, "redis answers"))
    except Exception as exc:  # noqa: BLE001 - as above.
        out.append(Finding("redis", FAIL, f"redis unavailable: {type(exc).__name__}"))
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5, timeout=3)
        out.append(Finding("broker", OK, f"broker answers ({conn.transport_cls})"))
    except Exception as exc:  # noqa: BLE001 - as above.
        out.append(Finding("broker", FAIL, f"broker unavailable: {type(exc).__name__}"))
    return out


def playwright_chromium_path() -> str | None:
    """Return Playwright's own Chromium binary if it is installed (without starting a browser)."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # noqa: BLE001 - no driver means no Playwright browser.
        return None
    return path if path and Path(path).exists() else None


def resolve_browser(
    choice: str, *, playwright_path: Callable[[], str | None] = playwright_chromium_path
) -> tuple[str | None, str]:
    """Return (binary, how) for ``LEASEBOT_BROWSER``: ``auto``, ``playwright`` or a path."""
    if choice == "playwright":
        return playwright_path(), "Playwright's own Chromium"
    if choice == "auto":
        own = playwright_path()
        if own:
            return own, "Playwright's own Chromium"
        return find_system_chromium(), "the system chromium package"
    path = Path(choice)
    return (str(path) if path.is_file() and os.access(path, os.X_OK) else None), f"the path {choice}"


def check_browser() -> list[Finding]:
    """A Chromium binary resolves the way ``LEASEBOT_BROWSER`` says."""
    choice = settings.LEASEBOT_BROWSER
    binary, how = resolve_browser(choice)
    if binary is None:
        return [Finding("browser", FAIL, f"LEASEBOT_BROWSER={choice!r}: no Chromium found ({how}); run make browser")]
    return [Finding("browser", OK, f"LEASEBOT_BROWSER={choice!r} resolves to {binary} ({how})")]


def check_credentials() -> list[Finding]:
    """Every active account's credential references resolve now (values never shown)."""

    out: list[Finding] = []
    accounts = PlatformAccount.objects.filter(is_active=True, platform__is_active=True).select_related("platform")
    count = 0
    for account in accounts.order_by("platform__slug", "label"):
        count += 1
        if not account.credential_ref and account.login_method != LoginMethod.OPERATOR:
            out.append(
                Finding(
                    "credentials", FAIL, f"{account}: no credential reference for login method {account.login_method}"
                )
            )
        elif account.credential_ref and not reference_is_resolvable(account.credential_ref):
            out.append(Finding("credentials", FAIL, f"{account}: {account.credential_ref} does not resolve"))
        if account.login_method == LoginMethod.EMAIL_CODE:
            if not account.mailbox_ref:
                out.append(Finding("credentials", FAIL, f"{account}: e-mailed codes need a mailbox reference"))
            elif not reference_is_resolvable(account.mailbox_ref):
                out.append(Finding("credentials", FAIL, f"{account}: {account.mailbox_ref} does not resolve"))
    if not out:
        out.append(Finding("credentials", OK, f"{count} active account(s), every reference resolves"))
    return out


def check_schedules() -> list[Finding]:
    """Every beat schedule exists and is enabled, and each names a task the workers know."""
    from django_celery_beat.models import PeriodicTask

    app = current_app
    out: list[Finding] = []
    if settings.CELERY_BEAT_SCHEDULER != "django_celery_beat.schedulers:DatabaseScheduler":
        out.append(Finding("schedules", FAIL, f"CELERY_BEAT_SCHEDULER is {settings.CELERY_BEAT_SCHEDULER}"))
    app.loader.import_default_modules()
    rows: dict[str, bool] = dict(PeriodicTask.objects.values_list("name", "enabled"))
    for task, _seconds, per_platform in SCHEDULES:
        if task not in app.tasks:
            out.append(Finding("schedules", FAIL, f"task {task} is scheduled but no worker module defines it"))
        for name in [f"{task}:{slug}" for slug in PLATFORM_SLUGS] if per_platform else [task]:
            if name not in rows:
                out.append(Finding("schedules", FAIL, f"periodic task {name} is missing; run manage.py migrate"))
            elif not rows[name]:
                out.append(Finding("schedules", FAIL, f"periodic task {name} is disabled"))
    if not out:
        out.append(Finding("schedules", OK, f"{len(SCHEDULES)} schedules present and enabled"))
    return out


CHECKS: dict[str, Callable[[], list[Finding]]] = {
    "settings": check_settings,
    "services": check_services,
    "browser": check_browser,
    "credentials": check_credentials,
    "schedules": check_schedules,
}


def preflight_run(*, skip: Iterable[str] = ()) -> list[Finding]:
    """Run every check (minus ``skip``); a check that crashes is itself a failure."""
    findings: list[Finding] = []
    for name, check in CHECKS.items():
        if name in skip:
            continue
        try:
            findings.extend(check())
        except Exception as exc:  # noqa: BLE001 - a broken check must be reported, not hide the others.
            findings.append(Finding(name, FAIL, f"the check itself failed: {type(exc).__name__}: {exc}"))
    return findings
