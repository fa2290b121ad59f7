"""Create the worker fleet's beat schedules (ingest and send per platform, sweeps)."""

from django.db import migrations


def create(apps, schema_editor):
    from dispatch.schedules import ensure_schedules

    ensure_schedules(apps.get_model("django_celery_beat", "PeriodicTask"), apps.get_model("django_celery_beat", "IntervalSchedule"))


def remove(apps, schema_editor):
    from dispatch.schedules import SCHEDULES

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=[t for t, _, _ in SCHEDULES]).exclude(task="core.heartbeat").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0001_initial"),
        ("core", "0002_auditlog_append_only_and_heartbeat_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
