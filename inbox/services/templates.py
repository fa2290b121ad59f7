"""Reply templates: validated, versioned saves and the admin's preview."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from inbox.engine.base import ResolvedTemplate
from inbox.models import ReplyTemplate, ReplyTemplateVersion
from inbox.templating import render_template, validate_template_body
from leasebot.core.services import audit_record


@transaction.atomic
def reply_template_save(*, template: ReplyTemplate, actor: Any = None) -> ReplyTemplate:
    """Validate and save a template; a new body becomes a new version (the old text is kept)."""
    validate_template_body(template.body)
    template.full_clean(exclude=["version"])
    if template.pk is None:
        template.version = 1
        template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        template.save()
        ReplyTemplateVersion.objects.create(
            template=template, version=1, body=template.body, created_by=template.updated_by
        )
        audit_record(action="template.create", actor=actor, obj=template, after={"key": template.key, "version": 1})
        return template
    current = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
    if current.body != template.body:
        template.version = current.version + 1
        ReplyTemplateVersion.objects.create(
            template=template,
            version=template.version,
            body=template.body,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    else:
        template.version = current.version
    template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    template.save()
    audit_record(
        action="template.update",
        actor=actor,
        obj=template,
        before={"version": current.version},
        after={"version": template.version, "is_active": template.is_active, "auto_send": template.auto_send},
    )
    return template


def template_preview(*, template: ReplyTemplate | ResolvedTemplate, sample: dict[str, str] | None = None) -> str:
    """Return a template rendered with sample values (for the admin's preview).

    The admin shows the preview beside a refused edit too, so an invalid body previews as
    the reason it was refused instead of failing the page.
    """
    values = {
        "renter_name": "Alex Doe",
        "first_name": "Alex",
        "listing_title": "Sunny 1BR in Park Slope",
        "unit_name": "Apt 3B",
        "address": "shared once your showing is booked",
        "rent": "$2,450",
        "deposit": "$2,450",
        "available_from": "March 1, 2027",
        "bedrooms": "1",
        "pets_policy": "Cats and small dogs welcome",
        "parking": "Street parking",
        "min_lease_months": "12",
        "application_url": "https://example.com/apply",
        "slots": "1) Tue Mar 10, 10:00 AM\n2) Wed Mar 11, 5:30 PM",
        "slot": "Tue Mar 10, 10:00 AM",
        "move_in_date": "March 1",
        "pets_mentioned": "a cat",
        **(sample or {}),
    }
    try:
        text, _missing = render_template(template.body, values)
    except ValidationError as exc:
        return "No preview: " + " ".join(exc.messages)
    return text
