"""Reference data every installation has: the five platforms, the settings row, the roles, the schedules.

Part of the composition root: it knows every app (platforms, inbox templates, dispatch
schedules), so no app below has to know the ones above it.

Written by a data migration once, and again (idempotently) after every ``migrate`` and
every test-database flush through ``post_migrate``, so a ``TransactionTestCase`` that
truncates the tables never leaves the next test without its platforms or roles.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from django.apps import apps as global_apps
from django.db import connections

from dispatch.schedules import ensure_schedules

PLATFORMS = (
    ("spareroom", "SpareRoom"),
    ("roomies", "Roomies"),
    ("leasebreak", "Leasebreak"),
    ("renthop", "RentHop"),
    ("furnishedfinder", "Furnished Finder"),
)

#: Model permissions per role. Agents get view rights at model level only; which accounts
#: they may work on is granted per object ("platforms.access_platformaccount").
ROLE_PERMISSIONS: dict[str, Any] = {
    "admin": "__all__",
    "ops": [
        ("platforms", "view_platform"),
        ("platforms", "view_platformaccount"),
        ("platforms", "view_botsettings"),
        ("platforms", "view_healingevent"),
        ("platforms", "view_locatoroverride"),
        ("dispatch", "view_deadletter"),
        ("dispatch", "view_dispatchattempt"),
        ("inbox", "view_outboundmessage"),
        ("core", "view_auditlog"),
    ],
    "agent": [
        ("platforms", "view_platform"),
        ("inbox", "view_conversation"),
        ("inbox", "view_message"),
        ("inbox", "view_decision"),
        ("inbox", "view_showing"),
        ("inbox", "view_outboundmessage"),
    ],
}
ADMIN_APPS = ("platforms", "inbox", "dispatch", "rollout", "core", "auth")


def seed_reference_data(apps: Any) -> None:
    """Create or complete the reference rows; never overwrite what an admin changed."""
    platform_model = apps.get_model("platforms", "Platform")
    for slug, name in PLATFORMS:
        platform_model.objects.get_or_create(slug=slug, defaults={"name": name})
    settings_model = apps.get_model("platforms", "BotSettings")
    if not settings_model.objects.filter(id=1).exists():
        settings_model.objects.bulk_create(
            [settings_model(id=1, default_send_mode="draft_only", rollout_stage="shadow")]
        )
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        if perms == "__all__":
            wanted = permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
        else:
            wanted = permission_model.objects.filter(
                content_type__app_label__in={a for a, _ in perms}, codename__in={c for _, c in perms}
            )
        group.permissions.add(*wanted)
    _seed_reply_templates(apps)
    ensure_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        keep_existing=True,
    )


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    """Re-seed after migrate or flush; it runs once per app, and the last run sees every permission."""
    connection = connections[kwargs.get("using") or "default"]
    tables = set(connection.introspection.table_names())
    if (
        not {"platforms_platform", "platforms_botsettings", "django_celery_beat_periodictask", "inbox_replytemplate"}
        <= tables
    ):
        return  # Migrated backwards past the tables: nothing to seed.
    seed_reference_data(global_apps)


def _seed_reply_templates(apps: Any) -> None:
    """Restore the default reply templates (version 1) where none is active for a key and language.

    The texts stay frozen in their data migrations (``TEMPLATES`` in English, ``TEMPLATES_ES`` in
    Spanish); this only re-creates what a flush removed.
    """
    texts: dict[tuple[str, str], str] = {}
    for module in _inbox_migrations_with_templates():
        texts.update({(key, "en"): body for key, body in getattr(module, "TEMPLATES", {}).items()})
        texts.update({(key, "es"): body for key, body in getattr(module, "TEMPLATES_ES", {}).items()})
    template_model = apps.get_model("inbox", "ReplyTemplate")
    version_model = apps.get_model("inbox", "ReplyTemplateVersion")
    for (key, language), body in texts.items():
        if template_model.objects.filter(
            key=key, language=language, platform__isnull=True, account__isnull=True, is_active=True
        ).exists():
            continue
        template = template_model.objects.create(
            key=key, language=language, body=body, version=1, is_active=True, auto_send=True
        )
        version_model.objects.create(template=template, version=1, body=body)


def _inbox_migrations_with_templates() -> list[Any]:
    """Return the inbox migrations that seed default templates (``TEMPLATES`` or ``TEMPLATES_ES``), in order."""
    package = importlib.import_module("inbox.migrations")
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name[:4].isdigit())
    modules = [importlib.import_module(f"inbox.migrations.{name}") for name in names]
    return [
        module
        for module in modules
        if isinstance(getattr(module, "TEMPLATES", None), dict)
        or isinstance(getattr(module, "TEMPLATES_ES", None), dict)
    ]
