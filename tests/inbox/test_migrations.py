"""The upgrade path: hold reasons written as strings before migration 0006 become typed values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inbox import holds

BEFORE = [("inbox", "0005_outbox_from_dispatch"), ("dispatch", "0004_outbox_moved_to_inbox")]


@pytest.fixture
def executor(transactional_db) -> Iterator[MigrationExecutor]:  # type: ignore[no-untyped-def]
    """Migrate the inbox back to before the typed reasons; always forward again afterwards."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)


def test_string_reasons_become_typed_values(executor: MigrationExecutor) -> None:
    # given: rows as the code before the migration wrote them
    old = executor.loader.project_state(BEFORE).apps
    platform = old.get_model("platforms", "Platform").objects.get(slug="spareroom")
    account = old.get_model("platforms", "PlatformAccount").objects.create(
        platform=platform, label="upgrade", username="u", credential_ref="env:LEASEBOT_TEST_PASSWORD"
    )
    conversation_model = old.get_model("inbox", "Conversation")
    escalated = conversation_model.objects.create(
        account=account, thread_ref="t-old", human_required=True, human_reason="dead_letter:Transient"
    )
    joined = conversation_model.objects.create(
        account=account, thread_ref="t-joined", human_required=True, human_reason="unlinked, no_slot"
    )
    free_text = conversation_model.objects.create(
        account=account, thread_ref="t-free", human_required=True, human_reason="something nobody foresaw"
    )
    row = old.get_model("inbox", "OutboundMessage").objects.create(
        conversation=escalated,
        account=account,
        dispatch_key="reply:upgrade",
        body="Hello",
        status="pending_review",
        hold_reasons=[
            "guardrail:fair_housing: mentions children",
            "low_confidence",
            "inbound_too_old",
            "account_inactive: account switched off",
        ],
    )

    # when
    executor.loader.build_graph()
    executor.migrate([("inbox", "0006_typed_hold_reasons")])

    # then: every reason is a typed value that loads, nothing is lost
    new = executor.loader.project_state([("inbox", "0006_typed_hold_reasons")]).apps
    stored = new.get_model("inbox", "OutboundMessage").objects.get(pk=row.pk).hold_reasons
    assert [(r.code, r.category, r.detail) for r in holds.load(stored)] == [
        ("guardrail", "fair_housing", "mentions children"),
        ("low_confidence", "", ""),
        ("stale_inbound", "", ""),
        ("account_inactive", "", "account switched off"),
    ]
    conversations = new.get_model("inbox", "Conversation").objects
    assert holds.load(conversations.get(pk=escalated.pk).human_reasons) == [
        holds.HoldReason.of("dead_letter", "Transient")
    ]
    assert holds.codes(conversations.get(pk=joined.pk).human_reasons) == ["unlinked", "no_slot"]
    assert holds.load(conversations.get(pk=free_text.pk).human_reasons) == [
        holds.HoldReason.of("human_required", "something nobody foresaw")
    ]


def test_going_back_before_languages_keeps_english_and_drops_spanish_edits(transactional_db) -> None:  # type: ignore[no-untyped-def]
    # given: an admin's own edit of a Spanish template (a second active one for its key, in Spanish)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    template_model = executor.loader.project_state(latest).apps.get_model("inbox", "ReplyTemplate")
    seeded = template_model.objects.filter(language="es", is_active=True).first()
    assert seeded is not None
    template_model.objects.filter(pk=seeded.pk).update(is_active=False)
    template_model.objects.create(
        key=seeded.key, language="es", body=seeded.body + " ¡Gracias!", is_active=True, version=2
    )
    try:
        # when: the release is rolled back past the languages
        executor.migrate([("inbox", "0019_seed_qualification_templates")])
        # then: one active template per key again, the English ones
        old = MigrationExecutor(connection).loader.project_state([("inbox", "0019_seed_qualification_templates")]).apps
        rows = old.get_model("inbox", "ReplyTemplate").objects.filter(is_active=True, account=None, platform=None)
        keys = list(rows.values_list("key", flat=True))
        assert keys
        assert len(keys) == len(set(keys))
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
