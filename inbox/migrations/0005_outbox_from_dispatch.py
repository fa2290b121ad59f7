"""The outbox (outbound messages, notes, canned replies) moves from dispatch to inbox.

State only for the tables, which keep their dispatch_* names (``db_table``); existing content
types and their permissions are renamed so roles and grants stay as they were.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ("outboundmessage", "conversationnote", "cannedreply")


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="dispatch", model__in=MOVED).update(app_label="inbox")


def move_content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="inbox", model__in=MOVED).update(app_label="dispatch")


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0004_seed_reply_templates_and_follow_up_schedule'),
        ('dispatch', '0003_review_notes_canned_replies'),
        ('contenttypes', '0002_remove_content_type_name'),
        # The roles' permissions on these models are granted there first, then renamed here with them.
        ('platforms', '0002_seed_platforms_settings_roles'),
        ('platforms', '0003_account_ingest_cursor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='CannedReply',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=120)),
                ('body', models.TextField()),
                ('is_active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='canned_replies', to='platforms.platformaccount')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'canned replies',
                'db_table': 'dispatch_cannedreply',
                'ordering': ('title', 'id'),
                'constraints': [models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='canned_reply_body_not_empty'), models.UniqueConstraint(condition=models.Q(('account__isnull', True)), fields=('title',), name='canned_reply_title_unique_global'), models.UniqueConstraint(condition=models.Q(('account__isnull', False)), fields=('title', 'account'), name='canned_reply_title_unique_per_account')],
            },
        ),
        migrations.CreateModel(
            name='ConversationNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('conversation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='inbox.conversation')),
            ],
            options={
                'db_table': 'dispatch_conversationnote',
                'ordering': ('created_at', 'id'),
                'constraints': [models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='note_body_not_empty')],
            },
        ),
        migrations.CreateModel(
            name='OutboundMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('reply', 'Reply'), ('follow_up', 'Follow-up'), ('confirmation', 'Showing confirmation'), ('manual', 'Agent reply')], default='reply', max_length=16)),
                ('source', models.CharField(choices=[('bot', 'Bot'), ('agent', 'Agent')], default='bot', max_length=8)),
                ('dispatch_key', models.CharField(max_length=200, unique=True)),
                ('body', models.TextField()),
                ('original_body', models.TextField(blank=True, help_text="The bot's draft before any agent edit.")),
                ('body_hash', models.CharField(blank=True, help_text='For idempotency-key reuse checks.', max_length=64)),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('pending_review', 'Held for review'), ('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('dead', 'Dead letter'), ('blocked', 'Blocked by guardrail'), ('cancelled', 'Cancelled')], db_index=True, default='draft', max_length=16)),
                ('hold_reasons', models.JSONField(blank=True, default=list)),
                ('shadow_would_send', models.BooleanField(default=False, help_text='Shadow stage: this would have been auto-sent.')),
                ('approved_at', models.DateTimeField(blank=True, null=True)),
                ('rejected_reason', models.CharField(blank=True, max_length=500)),
                ('queued_at', models.DateTimeField(blank=True, null=True)),
                ('sending_started_at', models.DateTimeField(blank=True, help_text='The lease a reconcile checks.', null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('platform_message_ref', models.CharField(blank=True, max_length=200)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('lost_worker_redeliveries', models.PositiveIntegerField(default=0)),
                ('last_error_class', models.CharField(blank=True, max_length=64)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outbound', to='platforms.platformaccount')),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('conversation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outbound', to='inbox.conversation')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('decision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='outbound', to='inbox.decision')),
                ('in_reply_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='replies', to='inbox.message')),
            ],
            options={
                'db_table': 'dispatch_outboundmessage',
                'ordering': ('-created_at', '-id'),
                'indexes': [models.Index(fields=['account', 'status'], name='dispatch_ou_account_06ac57_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'pending_review', 'queued', 'sending', 'sent', 'failed', 'dead', 'blocked', 'cancelled'])), name='outbound_status_valid'), models.CheckConstraint(condition=models.Q(('purpose__in', ['reply', 'follow_up', 'confirmation', 'manual'])), name='outbound_purpose_valid'), models.CheckConstraint(condition=models.Q(('source__in', ['bot', 'agent'])), name='outbound_source_valid'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'sending'), _negated=True), ('sending_started_at__isnull', False), _connector='OR'), name='outbound_sending_has_lease'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='outbound_sent_has_time')],
            },
        ),
                ],
        ),
    ]
