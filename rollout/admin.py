"""The rollout history in the admin: readable, never writable (changes go through the command)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rollout.models import StageChange


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    """Read-only: a stage change is made by ``manage.py rollout`` or the automatic check, never edited."""

    list_display = ("created_at", "from_stage", "to_stage", "actor_label", "forced", "automatic", "reason")
    list_filter = ("to_stage", "forced", "automatic")
    search_fields = ("actor_label", "reason")
    date_hierarchy = "created_at"
    readonly_fields = tuple(f.name for f in StageChange._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
