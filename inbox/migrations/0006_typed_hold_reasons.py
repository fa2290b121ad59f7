"""Hold reasons become typed values: ``{"code", "category", "detail"}`` objects, not strings.

Outbound rows' ``hold_reasons`` are rewritten in place; a conversation's single
``human_reason`` string becomes the ``human_reasons`` list. The string forms below are the
ones the code wrote before this migration; this is the only place that still reads them.
"""

from django.db import migrations, models

KNOWN = {
    "low_confidence", "high_risk", "ambiguous", "guardrail", "opt_out", "no_slot", "unknown_intent",
    "no_template", "missing_fact", "unlinked", "abusive", "slot_taken", "template_review",
    "workflow_refused", "not_allowlisted", "stale_inbound", "human_review_open", "llm_draft",
    "human_replied_on_platform", "human_required", "taken_over", "account_inactive",
    "send_mode_changed", "decision_failed", "dead_letter", "outcome_unknown",
}
ALIASES = {"inbound_too_old": "stale_inbound"}


def _typed(text):
    text = str(text or "").strip()
    if text == "guardrail at send time":
        return {"code": "guardrail", "category": "", "detail": "at send time"}
    if text.startswith("guardrail:"):
        category, _, detail = text[len("guardrail:"):].partition(":")
        return {"code": "guardrail", "category": category.strip()[:64], "detail": detail.strip()[:300]}
    code, _, detail = text.partition(":")
    code = ALIASES.get(code.strip(), code.strip())
    if code in KNOWN:
        return {"code": code, "category": "", "detail": detail.strip()[:300]}
    return {"code": "human_required", "category": "", "detail": text[:300]}


def _human(text):
    text = str(text or "").strip()
    if not text:
        return []
    parts = [p.strip() for p in text.split(",")]
    if all(ALIASES.get(p, p) in KNOWN for p in parts):
        return [_typed(p) for p in parts]
    return [_typed(text)]


def forward(apps, schema_editor):
    outbound = apps.get_model("inbox", "OutboundMessage")
    for row in outbound.objects.exclude(hold_reasons=[]).only("pk", "hold_reasons").iterator():
        typed = [r if isinstance(r, dict) else _typed(r) for r in row.hold_reasons or []]
        outbound.objects.filter(pk=row.pk).update(hold_reasons=typed)
    conversation = apps.get_model("inbox", "Conversation")
    for conv in conversation.objects.exclude(human_reason="").only("pk", "human_reason").iterator():
        conversation.objects.filter(pk=conv.pk).update(human_reasons=_human(conv.human_reason))


def backward(apps, schema_editor):
    def text(reason):
        head = reason["code"] + (f":{reason['category']}" if reason.get("category") else "")
        return f"{head}: {reason['detail']}" if reason.get("detail") else head

    outbound = apps.get_model("inbox", "OutboundMessage")
    for row in outbound.objects.exclude(hold_reasons=[]).only("pk", "hold_reasons").iterator():
        outbound.objects.filter(pk=row.pk).update(
            hold_reasons=[text(r) if isinstance(r, dict) else r for r in row.hold_reasons or []]
        )
    conversation = apps.get_model("inbox", "Conversation")
    for conv in conversation.objects.exclude(human_reasons=[]).only("pk", "human_reasons").iterator():
        conversation.objects.filter(pk=conv.pk).update(human_reason=", ".join(text(r) for r in conv.human_reasons)[:300])


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0005_outbox_from_dispatch"),
        ("dispatch", "0004_outbox_moved_to_inbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="human_reasons",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Why a person is needed: typed reasons (inbox.holds), first one first.",
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="conversation", name="human_reason"),
    ]
