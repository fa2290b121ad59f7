"""Seed the default reply templates (version 1) and the follow-up sweep's beat schedule.

The texts are frozen here on purpose: a migration must not change when the app's code
does. Admins edit them afterwards in Django admin (each edit is a new version).
"""

from django.db import migrations

TEMPLATES = {
    "opener": "Hi {first_name}, thanks for reaching out!",
    "greeting": "Hi {first_name}! Thanks for your interest in {listing_title}. The rent is {rent} a month and it is available {available_from}. What would you like to know?",
    "availability": "Yes, {unit_name} at {listing_title} is still available, from {available_from}.",
    "price": "The rent is {rent} per month, and the security deposit is {deposit}.",
    "showing_offer": "I'd be happy to show you the place. These times are open:\n{slots}\nJust reply with the number that suits you.",
    "showing_confirmed": "You're booked for a showing on {slot}. The address is {address}. See you then!",
    "showing_slot_taken": "Sorry, {slot} was just taken by someone else. These times are still open:\n{slots}\nJust reply with the number that suits you.",
    "showing_pick_unclear": "Happy to book you in! Which of these times works best?\n{slots}\nJust reply with the number.",
    "showing_cancelled": "No problem, your showing on {slot} is cancelled. If you'd like to pick another time, just let me know.",
    "no_slot": "I'd love to set up a showing. I'm checking our agents' calendars and will get back to you with times shortly.",
    "application": "You can apply online here: {application_url} (it takes about 10 minutes). A leasing agent reviews every application.",
    "pets": "About pets: {pets_policy}.",
    "parking": "About parking: {parking}.",
    "move_in_date": "The unit is available from {available_from}, so a move-in any time after that works.",
    "lease_terms": "The minimum lease term is {min_lease_months} months.",
    "off_topic": "Hi {first_name}! I can help with questions about {listing_title}: rent, availability, showings and applications. What would you like to know?",
    "unknown": "Thanks for your message! A member of our leasing team will get back to you shortly.",
    "unlinked": "Could you tell me which listing you're asking about (its title or a link)? Then I can send you the details.",
    "ask_move_in": "When are you hoping to move in?",
    "sign_off": "Best regards,\nThe leasing team",
    "follow_up_first": "Hi {first_name}, just checking in: are you still interested in {listing_title}? I'm happy to answer questions or set up a showing.",
    "follow_up_second": "Hi {first_name}, following up on {listing_title}. Let me know if you'd like to schedule a showing or have any questions.",
    "follow_up_final": "Hi {first_name}, this is my last note about {listing_title}. If you're still looking, just reply and I'll help. Otherwise, good luck with your search!",
    "llm_playbook": "Be friendly, brief and factual. Answer only from the unit's facts. Never comment on who may live there, never offer deals outside the price list, and never ask for money or documents outside the official application.",
}


def seed(apps, schema_editor):
    ReplyTemplate = apps.get_model("inbox", "ReplyTemplate")
    ReplyTemplateVersion = apps.get_model("inbox", "ReplyTemplateVersion")
    for key, body in TEMPLATES.items():
        if ReplyTemplate.objects.filter(key=key, platform__isnull=True, account__isnull=True, is_active=True).exists():
            continue
        template = ReplyTemplate.objects.create(key=key, body=body, version=1, is_active=True, auto_send=True)
        ReplyTemplateVersion.objects.create(template=template, version=1, body=body)

    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name="inbox.follow_ups_sweep",
        defaults={"task": "inbox.follow_ups_sweep", "interval": every, "enabled": True},
    )


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="inbox.follow_ups_sweep").delete()
    ReplyTemplate = apps.get_model("inbox", "ReplyTemplate")
    for key, body in TEMPLATES.items():
        ReplyTemplate.objects.filter(key=key, body=body, version=1, platform__isnull=True, account__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0003_template_opener_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
