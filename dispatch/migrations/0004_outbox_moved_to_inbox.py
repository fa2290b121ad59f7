"""The outbox moved to inbox: repoint the ledger's and dead letters' keys and forget the models.

State only: the tables keep their names (inbox's models set ``db_table``) and the database's
foreign keys already point at them, so no row and no constraint changes.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0003_review_notes_canned_replies'),
        ('inbox', '0005_outbox_from_dispatch'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.AlterField(
            model_name='deadletter',
            name='outbound',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='dead_letters', to='inbox.outboundmessage'),
        ),
        migrations.AlterField(
            model_name='dispatchattempt',
            name='outbound',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='attempt_rows', to='inbox.outboundmessage'),
        ),
        migrations.DeleteModel(
            name='CannedReply',
        ),
        migrations.DeleteModel(
            name='ConversationNote',
        ),
        migrations.DeleteModel(
            name='OutboundMessage',
        ),
                ],
        ),
    ]
