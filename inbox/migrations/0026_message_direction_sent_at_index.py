"""The first-reply latency's index on renters' messages by time, built without blocking writes.

As 0025: CONCURRENTLY keeps ingest writing while the index builds (``atomic = False``).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inbox", "0025_conversation_last_activity_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="message",
            index=models.Index(fields=("direction", "sent_at"), name="message_direction_sent_at"),
        ),
    ]
