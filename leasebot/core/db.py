"""Small database helpers the ORM has no public spelling for."""

from __future__ import annotations

from django.db import models, router
from django.db.models.constants import OnConflict


def insert_unless_exists(obj: models.Model) -> bool:
    """Insert ``obj`` unless a row with one of its unique keys exists; return whether it was inserted.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` statement: no savepoint to recover from
    a unique violation, no read first, and a concurrent insert of the same key waits for the
    other transaction and then does nothing. On insert the primary key (and any other column the
    database returns) is set on ``obj``, as ``save()`` would; the model's ``save()`` and its
    ``pre_save``/``post_save`` signals are not run (use it only for models that define neither).
    """
    model = type(obj)
    meta = model._meta
    using = router.db_for_write(model, instance=obj)
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    returning = meta.db_returning_fields
    rows = model._base_manager.using(using)._insert(  # type: ignore[attr-defined]  # Model.save's own path.
        [obj], fields=fields, returning_fields=returning, using=using, on_conflict=OnConflict.IGNORE
    )
    if not rows or rows[0] is None:
        return False
    for value, field in zip(rows[0], returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using
    return True
