"""The audit log in the admin: readable, never writable."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leasebot.core.models import AuditLog, Heartbeat


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete, for anyone (the database refuses too)."""

    list_display = ("created_at", "actor_label", "action", "object_type", "object_id", "platform", "stage")
    list_filter = ("action", "platform", "stage")
    search_fields = ("action", "actor_label", "object_id", "reason")
    date_hierarchy = "created_at"
    readonly_fields = tuple(f.name for f in AuditLog._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """When the scheduler last reached a worker."""

    list_display = ("name", "beats", "last_beat_at", "worker")
    readonly_fields = ("name", "beats", "last_beat_at", "worker")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
