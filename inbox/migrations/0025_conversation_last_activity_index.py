"""The conversation list's last-activity index, built without blocking writes.

A plain CREATE INDEX holds a lock that stops every insert and update of the conversation
table until the build ends: on a large table, ingest would stall for the whole deploy.
CONCURRENTLY builds it beside live traffic, which PostgreSQL allows only outside a
transaction, hence ``atomic = False``.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inbox", "0024_seed_showing_change_templates"),
        ("platforms", "0006_locator_healing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="conversation",
            index=models.Index(
                models.OrderBy(models.F("last_inbound_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="conversation_last_activity",
            ),
        ),
    ]
