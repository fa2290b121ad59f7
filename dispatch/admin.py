"""Admin for the outbox, the attempt ledger and dead letters (retry with confirmation)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from dispatch import services
from dispatch.choices import DeadLetterStatus
from dispatch.models import DeadLetter, DispatchAttempt
from inbox.models import OutboundMessage
from leasebot.core.exceptions import LeasebotError
from platforms.admin import _confirm


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: the admin reads them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    """The outbox; agents act on it in the review UI, through the services."""

    list_display = ("id", "account", "purpose", "source", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "purpose", "source", "account__platform")
    search_fields = ("dispatch_key", "platform_message_ref")
    list_select_related = ("account__platform",)


@admin.register(DispatchAttempt)
class DispatchAttemptAdmin(ReadOnlyAdmin):
    """The ledger of every try."""

    list_display = ("started_at", "platform", "account", "stage", "outcome", "error_class", "duration_ms")
    list_filter = ("platform", "stage", "outcome", "error_class")
    list_select_related = ("account__platform",)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    """Dead letters: retried through the same idempotent path, never re-sent blindly."""

    list_display = ("id", "created_at", "platform", "account", "stage", "error_class", "attempts", "status")
    list_filter = ("status", "platform", "stage", "error_class")
    actions = ("retry",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the retry action; the fields themselves stay read-only.
        return bool(request.user.has_perm("dispatch.change_deadletter"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in DeadLetter._meta.fields]

    @admin.action(description="Retry selected dead letters", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> HttpResponse | None:
        page = _confirm(self, request, queryset, "retry", "Retry these dead letters?")
        if page is not None:
            return page
        done, refused = 0, []
        for letter in queryset.filter(status=DeadLetterStatus.OPEN):
            try:
                services.deadletter_retry(deadletter_id=letter.pk, actor=request.user)
                done += 1
            except LeasebotError as exc:
                refused.append(f"#{letter.pk}: {exc.message}")
        self.message_user(request, f"{done} dead letter(s) retried.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not retried: " + "; ".join(refused), messages.WARNING)
        return None
