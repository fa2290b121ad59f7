"""The message-text search index moves from ``UPPER(body)`` to ``inbox_fold(body)``, built without blocking writes.

As 0025: CONCURRENTLY keeps ingest writing while the index builds (``atomic = False``); the
new index is built before the old one is dropped, so search is never left unindexed.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations

import inbox.models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inbox", "0028_search_fold_function"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="message",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(inbox.models.Folded("body"), name="gin_trgm_ops"),
                name="message_body_fold_trgm",
            ),
        ),
        RemoveIndexConcurrently(
            model_name="message",
            name="message_body_upper_trgm",
        ),
    ]
