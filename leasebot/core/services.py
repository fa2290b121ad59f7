"""Writes for the audit log and the heartbeat."""

from __future__ import annotations

import contextlib
import contextvars
import socket
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import F
from django.utils import timezone

from leasebot.core.models import AuditLog, Heartbeat

#: Audit rows held back for one INSERT at the end of an ``audit_batch`` block.
_batch: contextvars.ContextVar[list[AuditLog] | None] = contextvars.ContextVar("leasebot_audit_batch", default=None)


@contextlib.contextmanager
def audit_batch() -> Iterator[None]:
    """Write the audit rows appended inside the block with one INSERT when it ends without an error.

    Open it inside the transaction whose changes the rows describe, so that they commit (or
    roll back) together: the rows are written before the block returns. An error inside the
    block drops them with the transaction it unwinds. Nested blocks join the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    rows: list[AuditLog] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    if rows:
        AuditLog.objects.bulk_create(rows)


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    system: str = "",
    obj: models.Model | None = None,
    platform: str = "",
    stage: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLog:
    """Append one audit row; the bot's own acts name their component in ``system``."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user is not None else f"system:{system or 'bot'}"
    row = AuditLog(
        actor=user,  # type: ignore[misc]  # Any authenticated user model instance.
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        platform=platform,
        stage=stage,
        before=before or {},
        after=after or {},
        reason=reason[:2000],
    )
    pending = _batch.get()
    if pending is not None:
        pending.append(row)  # Written by the enclosing audit_batch, in the same transaction.
        return row
    row.save(force_insert=True)
    return row


def heartbeat_beat(*, name: str = "beat") -> Heartbeat:
    """Record that a scheduled job reached a worker (idempotent under duplicates)."""
    now = timezone.now()
    worker = socket.gethostname()
    beat, created = Heartbeat.objects.get_or_create(
        name=name, defaults={"last_beat_at": now, "beats": 1, "worker": worker}
    )
    if not created:
        Heartbeat.objects.filter(pk=beat.pk).update(beats=F("beats") + 1, last_beat_at=now, worker=worker)
        beat.refresh_from_db()
    return beat
