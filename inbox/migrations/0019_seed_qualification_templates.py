"""Seed the qualification questions' default templates (frozen here; admins edit them as new versions)."""

from django.db import migrations

#: Read again by ``leasebot.seed`` after a flush (it reads every inbox migration's TEMPLATES).
TEMPLATES = {
    "ask_lease_length": "How long a lease are you looking for?",
    "ask_occupants": "How many people would be living there?",
    "ask_pets": "Will any pets be moving in with you?",
    "fit_lease": "Just so you know, the minimum lease term here is {min_lease_months} months.",
    "fit_occupancy": "Just so you know, this home is for up to {max_occupants} occupants.",
}


def seed_templates(apps, schema_editor):
    template_model = apps.get_model("inbox", "ReplyTemplate")
    version_model = apps.get_model("inbox", "ReplyTemplateVersion")
    for key, body in TEMPLATES.items():
        if template_model.objects.filter(key=key, platform__isnull=True, account__isnull=True, is_active=True).exists():
            continue
        template = template_model.objects.create(key=key, body=body, version=1, is_active=True, auto_send=True)
        version_model.objects.create(template=template, version=1, body=body)


def unseed_templates(apps, schema_editor):
    template_model = apps.get_model("inbox", "ReplyTemplate")
    for key, body in TEMPLATES.items():
        template_model.objects.filter(key=key, body=body, version=1, platform__isnull=True, account__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("inbox", "0018_qualification_questions")]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]
