"""Seed the showing life cycle's default templates (a data migration of its own: no schema change here)."""

from django.db import migrations

#: The showing life cycle's default templates (version 1), frozen here like those of 0004;
#: ``leasebot.seed`` restores them after a flush (it reads every inbox migration's TEMPLATES).
TEMPLATES = {
    "showing_confirm_request": "Hi {first_name}, a quick check before your showing of {listing_title} on {slot}: are you still coming? Just reply yes to confirm, or tell me if you need another time.",
    "showing_confirm_thanks": "Thanks for confirming! See you on {slot}. The address is {address}.",
    "showing_reminder": "Hi {first_name}, a reminder that your showing of {listing_title} is on {slot}, at {address}. If anything changes, just reply here.",
    "showing_no_show": "Sorry we missed each other for the showing of {listing_title}. If you'd still like to see it, these times are open:\n{slots}\nJust reply with the number that suits you.",
    "showing_application": "Thanks for coming to see {listing_title}! If you'd like to go ahead, you can apply online here: {application_url}",
    "showing_application_nudge": "Hi {first_name}, just checking in after your showing of {listing_title}. If you'd like to go ahead, the application is here: {application_url}. Happy to answer any questions.",
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
    dependencies = [("inbox", "0015_showing_life_cycle")]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]
