"""Reply-template variables: the one list of names a template may use, and rendering.

Templates are data an admin edits, so they are validated on save against this list (an
unknown variable is refused) and rendered with plain ``str.format_map`` over a dict of
strings: no attribute or index access, so a template can never reach into an object.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from django.core.exceptions import ValidationError

#: Every variable a reply template may use, and what it holds.
TEMPLATE_VARIABLES: dict[str, str] = {
    "renter_name": "The renter's name as the platform shows it (or 'there').",
    "first_name": "The renter's first name (or 'there').",
    "listing_title": "The listing's title.",
    "unit_name": "The unit's name.",
    "address": "The address, or a note that it is shared once a showing is booked.",
    "rent": "Monthly rent, e.g. $2,450.",
    "deposit": "Security deposit, e.g. $2,450.",
    "available_from": "The date the unit is available, e.g. March 1, 2027 (or 'now').",
    "bedrooms": "Number of bedrooms, or 'studio'.",
    "pets_policy": "The unit's pet policy text.",
    "parking": "The unit's parking text.",
    "min_lease_months": "Minimum lease length in months.",
    "max_occupants": "The occupancy limit (a fact of the building or local code).",
    "application_url": "The application link.",
    "slots": "The offered showing slots, one numbered line each.",
    "slot": "The booked or cancelled slot, e.g. Tue Mar 10, 10:00 AM.",
    "move_in_date": "The move-in date the renter told us (lead profile).",
    "pets_mentioned": "The pets the renter told us about (lead profile).",
}


def template_variables(body: str) -> list[str]:
    """Return the variable names a template body uses, refusing anything but plain names."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise ValidationError(
            f"The template is not valid: {exc}. Use {{name}} for variables and {{{{ }}}} for braces."
        ) from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise ValidationError(
                f"{{{field}}} is not a plain variable name; use one of: {', '.join(TEMPLATE_VARIABLES)}."
            )
        if spec or conversion:
            raise ValidationError(f"{{{field}}} may not carry a format spec or conversion.")
        names.append(field)
    return names


def validate_template_body(body: str) -> None:
    """Refuse a template that uses a variable outside ``TEMPLATE_VARIABLES``."""
    unknown = sorted({name for name in template_variables(body) if name not in TEMPLATE_VARIABLES})
    if unknown:
        raise ValidationError(
            f"Unknown variable(s): {', '.join(unknown)}. Allowed: {', '.join(TEMPLATE_VARIABLES)}.",
            code="unknown_variable",
        )


def render_template(body: str, context: Mapping[str, str]) -> tuple[str, list[str]]:
    """Render a validated body; return the text and the variables that had no value.

    A missing value renders as an empty string and is reported, so the caller can hold
    the reply (reason ``missing_fact``) rather than send a sentence with a hole in it. A
    body that is not valid (saved before validation, or an unsaved admin edit) raises
    ``ValidationError`` naming the problem, never a ``KeyError``.
    """
    validate_template_body(body)
    missing = [name for name in template_variables(body) if not str(context.get(name, "")).strip()]
    values = {name: str(context.get(name, "")) for name in TEMPLATE_VARIABLES}
    return body.format_map(values).strip(), missing
