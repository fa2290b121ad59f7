"""Audit trail and scheduler heartbeat."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from leasebot.core.exceptions import NotAllowed


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    """Refuse bulk changes: the audit log is append-only."""

    def update(self, **kwargs: Any) -> int:
        raise NotAllowed("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise NotAllowed("the audit log is append-only")


class AuditLog(models.Model):
    """One fact that happened: who did what to which object, with the before and after.

    Append-only in the app, the admin and the database (a trigger refuses UPDATE and
    DELETE). Rows hold ids and policy values, never personal data or secrets, so an
    erasure never needs to touch them.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No database FK: deleting a user must not rewrite history (the trigger refuses UPDATE);
    # actor_label keeps the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, help_text="User name, or 'system:<component>' for the bot.")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    platform = models.CharField(max_length=32, blank=True, db_index=True)
    stage = models.CharField(max_length=32, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    objects: ClassVar[AuditLogQuerySet] = AuditLogQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("object_type", "object_id")),)

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise NotAllowed("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise NotAllowed("the audit log is append-only")


class Heartbeat(models.Model):
    """The last time a periodic job ran on a worker: proves beat -> worker end to end."""

    name = models.CharField(max_length=64, unique=True)
    beats = models.PositiveBigIntegerField(default=0)
    last_beat_at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_beat_at:%Y-%m-%d %H:%M:%S}"
