"""Tick the ingest fan-out every ten seconds: it now enqueues only the accounts that are due."""

from django.db import migrations

OLD_EVERY = 60


def retick(apps, schema_editor, every_from=OLD_EVERY, every_to=None):
    from dispatch.schedules import INGEST_TICK_S

    every_to = every_to if every_to is not None else INGEST_TICK_S
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    target, _ = IntervalSchedule.objects.get_or_create(every=every_to, period="seconds")
    # Only schedules still at the old default: an interval an admin chose is theirs.
    PeriodicTask.objects.filter(
        task="dispatch.ingest_platform", interval__every=every_from, interval__period="seconds"
    ).update(interval=target, expire_seconds=every_to * 2)


def back(apps, schema_editor):
    from dispatch.schedules import INGEST_TICK_S

    retick(apps, schema_editor, every_from=INGEST_TICK_S, every_to=OLD_EVERY)


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0004_outbox_moved_to_inbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(retick, back)]
