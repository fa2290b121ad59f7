"""Admin for the inbox: what admins edit (listings, units, availability, templates, lists) and read-only views.

Writes with rules go through services: a template save is validated and versioned, a
suppression or allow-list entry is hashed (the handle typed in the form is never stored).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from inbox import services, suppression
from inbox.choices import AllowListKind
from inbox.models import (
    AgentProfile,
    AllowListEntry,
    AvailabilityRule,
    Conversation,
    Decision,
    Listing,
    ListingRef,
    Message,
    QuietHours,
    ReplyTemplate,
    ReplyTemplateVersion,
    Showing,
    SuppressionEntry,
    Unit,
    UnitAssignment,
)
from inbox.privacy import erase_conversation
from inbox.templating import TEMPLATE_VARIABLES
from platforms.admin import _confirm
from platforms.choices import PlatformSlug


class ReadOnlyAdmin(admin.ModelAdmin):
    """A view of rows the bot writes: never added, changed or deleted by hand here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ListingRefInline(admin.TabularInline):
    model = ListingRef
    extra = 0


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ("name", "rent", "available_from", "timezone")
    show_change_link = True


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    """Listings, with their platform references (how renters' messages are linked)."""

    list_display = ("title", "address", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("title", "address")
    inlines = (ListingRefInline, UnitInline)


class AssignmentInline(admin.TabularInline):
    model = UnitAssignment
    extra = 0
    autocomplete_fields = ("agent",)


class UnitAvailabilityInline(admin.TabularInline):
    model = AvailabilityRule
    fk_name = "unit"
    extra = 0
    fields = ("kind", "weekday", "date", "start_time", "end_time")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    """Units: the facts replies quote, who shows them, and when."""

    list_display = ("__str__", "rent", "available_from", "timezone", "showing_group_size")
    list_filter = ("listing__is_active", "timezone")
    search_fields = ("name", "listing__title", "address")
    inlines = (AssignmentInline, UnitAvailabilityInline)


@admin.register(ListingRef)
class ListingRefAdmin(admin.ModelAdmin):
    list_display = ("listing", "platform", "external_ref", "url")
    list_filter = ("platform",)
    search_fields = ("external_ref", "url", "listing__title")


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    """Agents' time zones; their availability is edited on the unit or here per rule."""

    list_display = ("user", "timezone")
    search_fields = ("user__username",)


@admin.register(QuietHours)
class QuietHoursAdmin(admin.ModelAdmin):
    """Each account's quiet window for the messages the bot starts (default: LEASEBOT_QUIET_HOURS)."""

    list_display = ("account", "starts", "ends", "time_zone", "is_active")
    list_filter = ("is_active",)


@admin.register(AvailabilityRule)
class AvailabilityRuleAdmin(admin.ModelAdmin):
    """Every window and block, for units and agents."""

    list_display = ("__str__", "kind", "weekday", "date", "start_time", "end_time")
    list_filter = ("kind",)


class VersionInline(admin.TabularInline):
    model = ReplyTemplateVersion
    extra = 0
    can_delete = False
    readonly_fields = ("version", "body", "created_at", "created_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """Reply templates: validated on save (unknown variables refused), each body change a new version."""

    list_display = ("key", "language", "platform", "account", "version", "is_active", "auto_send", "updated_at")
    list_filter = ("language", "key", "platform", "is_active", "auto_send")
    search_fields = ("body",)
    readonly_fields = ("version", "updated_at", "updated_by", "variables", "preview")
    inlines = (VersionInline,)

    @admin.display(description="Variables you can use")
    def variables(self, obj: ReplyTemplate | None) -> str:
        return "; ".join(f"{{{name}}}: {help_text}" for name, help_text in TEMPLATE_VARIABLES.items())

    @admin.display(description="Preview with sample values")
    def preview(self, obj: ReplyTemplate | None) -> str:
        return services.template_preview(template=obj) if obj is not None and obj.pk else ""

    def save_model(self, request: HttpRequest, obj: ReplyTemplate, form: Any, change: bool) -> None:
        services.reply_template_save(template=obj, actor=request.user)


class ContactForm(forms.ModelForm):
    """Take a platform and a handle, store only their keyed hash."""

    contact_platform = forms.ChoiceField(choices=PlatformSlug.choices, required=False)
    contact_handle = forms.CharField(required=False, help_text="Hashed on save; the handle itself is not stored.")


class SuppressionForm(ContactForm):
    class Meta:
        model = SuppressionEntry
        fields = ("reason",)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("contact_platform") or not data.get("contact_handle"):
            raise forms.ValidationError("Enter the platform and the renter's handle.")
        return data


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(admin.ModelAdmin):
    """The opt-out list: hashes only. Lift an entry to let the bot write to that renter again."""

    form = SuppressionForm
    list_display = ("__str__", "platform", "reason", "created_at", "lifted_at", "lifted_by")
    list_filter = ("platform", "reason")
    readonly_fields = ("contact_hash", "platform", "created_at", "lifted_at", "lifted_by", "lift_reason")
    actions = ("lift",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: SuppressionEntry, form: Any, change: bool) -> None:
        data = form.cleaned_data
        entry = suppression.suppression_add(
            platform=data["contact_platform"],
            handle=data["contact_handle"],
            reason=data.get("reason") or "admin",
            actor=request.user,
        )
        obj.pk, obj.contact_hash = entry.pk, entry.contact_hash

    @admin.action(description="Lift the selected opt-outs")
    def lift(self, request: HttpRequest, queryset: QuerySet[SuppressionEntry]) -> None:
        for entry in queryset.filter(lifted_at__isnull=True):
            suppression.suppression_lift(entry_id=entry.pk, actor=request.user, reason="lifted in admin")
        messages.success(request, "Opt-outs lifted.")


class AllowListForm(ContactForm):
    class Meta:
        model = AllowListEntry
        fields = ("kind", "listing", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == AllowListKind.LISTING and not data.get("listing"):
            raise forms.ValidationError("Choose the listing.")
        if data.get("kind") == AllowListKind.RENTER and not (
            data.get("contact_platform") and data.get("contact_handle")
        ):
            raise forms.ValidationError("Enter the platform and the renter's handle.")
        return data


@admin.register(AllowListEntry)
class AllowListEntryAdmin(admin.ModelAdmin):
    """First-live safety: who may receive auto-sent replies while ``allowlist_only`` is on."""

    form = AllowListForm
    list_display = ("__str__", "kind", "platform", "listing", "note", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("contact_hash", "platform", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: AllowListEntry, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if data["kind"] == AllowListKind.LISTING:
            entry = suppression.allowlist_add_listing(
                listing=data["listing"], note=data.get("note", ""), actor=request.user
            )
        else:
            entry = suppression.allowlist_add_renter(
                platform=data["contact_platform"],
                handle=data["contact_handle"],
                note=data.get("note", ""),
                actor=request.user,
            )
        obj.pk = entry.pk


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("direction", "sender_name", "body", "sent_at", "sent_by_bot")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Conversations as the bot sees them (agents work in the review UI)."""

    list_display = (
        "__str__",
        "listing",
        "unit",
        "linkage_status",
        "workflow_outcome",
        "showing_state",
        "follow_up_stage",
        "human_required",
        "opted_out",
        "language",
    )
    list_filter = (
        "language",
        "linkage_status",
        "workflow_outcome",
        "showing_state",
        "follow_up_stage",
        "human_required",
        "opted_out",
    )
    search_fields = ("thread_ref",)
    inlines = (MessageInline,)
    actions = ("erase_renter_data",)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        # Admins only: erasure cannot be undone.
        return bool(request.user.has_perm("inbox.change_conversation"))

    @admin.action(description="Erase the renter's personal data (and suppress the contact)", permissions=["erase"])
    def erase_renter_data(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> HttpResponse | None:

        page = _confirm(
            self, request, queryset, "erase_renter_data", "Erase these renters' personal data? This cannot be undone."
        )
        if page is not None:
            return page
        for conversation in queryset:
            erase_conversation(conversation_id=conversation.pk, actor=request.user, reason="admin action")
        self.message_user(request, f"Erased the renter data of {queryset.count()} conversation(s).", messages.SUCCESS)
        return None


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "conversation", "direction", "sent_at", "sent_by_bot")
    list_filter = ("direction", "sent_by_bot")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    """Every decision with its reasons, the engine that made it and the template versions it used."""

    list_display = (
        "__str__",
        "conversation",
        "engine",
        "intent",
        "confidence",
        "reason_codes",
        "template_key",
        "template_version",
        "created_at",
    )
    list_filter = ("engine", "intent")


@admin.register(Showing)
class ShowingAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "unit", "agent", "starts_at", "status")
    list_filter = ("status",)
