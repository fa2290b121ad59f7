"""Query-string parsing for list filters: a bad value is a 400 naming the parameter, never a 500."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def int_param(request: Request, name: str) -> int | None:
    """Return the parameter as a positive int, None when absent; 400 when not a number."""
    raw = request.query_params.get(name) or ""
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"expected a whole number, got {raw[:40]!r}"]}) from None
    if value < 1 or value > 2**62:
        raise ValidationError({name: ["expected a positive id"]})
    return value


def bool_param(request: Request, name: str) -> bool | None:
    """Return the parameter as a bool (true/false/1/0), None when absent; 400 otherwise."""
    raw = request.query_params.get(name) or ""
    if not raw:
        return None
    lowered = raw.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise ValidationError({name: ["expected true or false"]})


def choices_param(request: Request, name: str, allowed: Iterable[str]) -> list[str]:
    """Return a comma-separated list of allowed values (empty when absent); 400 on an unknown one."""
    raw = request.query_params.get(name)
    if not raw:
        return []
    allowed_set = set(allowed)
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed_set]
    if unknown:
        raise ValidationError({name: [f"unknown value {unknown[0][:40]!r}; allowed: {', '.join(sorted(allowed_set))}"]})
    return values


def text_param(request: Request, name: str, *, max_length: int = 200) -> str:
    """Return a trimmed text parameter ("" when absent); 400 when too long."""
    raw = (request.query_params.get(name) or "").strip()
    if len(raw) > max_length:
        raise ValidationError({name: [f"at most {max_length} characters"]})
    if "\x00" in raw:
        raise ValidationError({name: ["contains a NUL character"]})
    return raw


def id_or_none_param(request: Request, name: str) -> int | str | None:
    """Return a positive id, the word ``"none"`` (filter on "not set"), or None when absent; 400 otherwise."""
    raw = (request.query_params.get(name) or "").strip()
    if raw.lower() == "none":
        return "none"
    return int_param(request, name)


def choice_param(request: Request, name: str, allowed: Iterable[str]) -> str:
    """Return one allowed value ("" when absent); 400 on anything else."""
    values = choices_param(request, name, allowed)
    if len(values) > 1:
        raise ValidationError({name: ["give one value"]})
    return values[0] if values else ""
