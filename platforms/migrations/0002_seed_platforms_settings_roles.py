"""Seed the five platforms, the single BotSettings row and the three roles."""

from django.db import migrations

# Frozen copies of the reference data as it stood when this migration was written; the
# live definition (and the re-seed after every migrate) is leasebot/seed.py.
PLATFORMS = (
    ("spareroom", "SpareRoom"),
    ("roomies", "Roomies"),
    ("leasebreak", "Leasebreak"),
    ("renthop", "RentHop"),
    ("furnishedfinder", "Furnished Finder"),
)
ROLE_PERMISSIONS = {
    "admin": "__all__",
    "ops": [
        ("platforms", "view_platform"),
        ("platforms", "view_platformaccount"),
        ("platforms", "view_botsettings"),
        ("dispatch", "view_deadletter"),
        ("dispatch", "view_dispatchattempt"),
        ("dispatch", "view_outboundmessage"),
        ("core", "view_auditlog"),
    ],
    "agent": [
        ("platforms", "view_platform"),
        ("inbox", "view_conversation"),
        ("inbox", "view_message"),
        ("inbox", "view_decision"),
        ("inbox", "view_showing"),
        ("dispatch", "view_outboundmessage"),
    ],
}


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        # The historical models (apps=apps): the outbox was still dispatch's when this ran first.
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Platform = apps.get_model("platforms", "Platform")
    for slug, name in PLATFORMS:
        Platform.objects.update_or_create(slug=slug, defaults={"name": name})
    BotSettings = apps.get_model("platforms", "BotSettings")
    BotSettings.objects.get_or_create(id=1, defaults={"default_send_mode": "draft_only", "rollout_stage": "shadow"})

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if perms == "__all__":
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label__in=["platforms", "inbox", "dispatch", "rollout", "core", "auth"]
                )
            )
        else:
            group.permissions.set(
                [Permission.objects.get(content_type__app_label=a, codename=c) for a, c in perms]
            )


def unseed(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0001_initial"),
        ("inbox", "0001_initial"),
        ("dispatch", "0001_initial"),
        ("rollout", "0001_initial"),
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

