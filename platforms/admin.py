"""Admin for platforms, accounts and the global settings.

Every toggle and mode change goes through the services, so each one writes an audit row
(who, what, before, after) whether it comes from a change form or a list-editable column.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from guardian.admin import GuardedModelAdminMixin

from leasebot.core.exceptions import LeasebotError
from leasebot.core.services import audit_record
from platforms import healing, services
from platforms.choices import HealingStatus
from platforms.forms import (
    POLICY_FIELDS,
    REASON_REQUIRED,
    AuditedGroupObjectPermissionsForm,
    AuditedUserObjectPermissionsForm,
    BotSettingsForm,
    PlatformAccountForm,
    PolicyReasonForm,
)
from platforms.models import (
    BotSettings,
    BrowserSession,
    HealingEvent,
    LocatorOverride,
    Platform,
    PlatformAccount,
)


def _reason(request: HttpRequest) -> str:
    return str(request.POST.get("reason", "")).strip()[:300]


def _reason_formset(
    request: HttpRequest, formset_class: type[forms.BaseModelFormSet], policy_fields: tuple[str, ...] = POLICY_FIELDS
) -> Any:
    """Return a list-editing formset that refuses policy changes without a reason.

    The changelist's own form has one ``reason`` box (``change_list.html`` of these models);
    a save that switches something or changes a send mode without it is refused whole.
    """

    class ReasonRequiredFormSet(formset_class):  # type: ignore[valid-type,misc]
        def clean(self) -> None:
            super().clean()
            changed = any(set(policy_fields) & set(form.changed_data) for form in self.forms)
            if changed and not _reason(request):
                raise ValidationError(REASON_REQUIRED)

    return ReasonRequiredFormSet


def _confirm(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, action: str, title: str
) -> HttpResponse | None:
    """Show a confirmation page first; return None once the admin confirmed."""
    if request.POST.get("confirmed") == "yes":
        return None
    return TemplateResponse(
        request,
        "admin/leasebot_confirm_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": list(queryset),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    """Platforms: one switch each; every account on a switched-off platform stops."""

    list_display = ("name", "slug", "is_active", "default_base_url")
    list_editable = ("is_active",)
    readonly_fields = ("slug",)
    actions = ("switch_off", "switch_on")
    form = PolicyReasonForm
    fields = ("name", "slug", "is_active", "default_base_url", "reason")

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        return _reason_formset(request, super().get_changelist_formset(request, **kwargs))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # The five platforms are seeded; slugs are fixed.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Platform, form: Any, change: bool) -> None:
        if change and "is_active" in form.changed_data:
            services.platform_set_active(
                platform_id=obj.pk, is_active=obj.is_active, actor=request.user, reason=_reason(request)
            )
            form.changed_data.remove("is_active")
        if form.changed_data:
            obj.save(update_fields=[f for f in form.changed_data if f not in {"is_active", "reason"}])

    @admin.action(description="Switch selected platforms off", permissions=["change"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet[Platform]) -> HttpResponse | None:
        page = _confirm(self, request, queryset, "switch_off", "Switch these platforms off?")
        if page is not None:
            return page
        for platform in queryset:
            services.platform_set_active(
                platform_id=platform.pk, is_active=False, actor=request.user, reason="admin action"
            )
        self.message_user(request, f"{queryset.count()} platform(s) switched off.", messages.SUCCESS)
        return None

    @admin.action(description="Switch selected platforms on", permissions=["change"])
    def switch_on(self, request: HttpRequest, queryset: QuerySet[Platform]) -> HttpResponse | None:
        page = _confirm(self, request, queryset, "switch_on", "Switch these platforms on?")
        if page is not None:
            return page
        for platform in queryset:
            services.platform_set_active(
                platform_id=platform.pk, is_active=True, actor=request.user, reason="admin action"
            )
        self.message_user(request, f"{queryset.count()} platform(s) switched on.", messages.SUCCESS)
        return None


@admin.register(PlatformAccount)
class PlatformAccountAdmin(GuardedModelAdminMixin, admin.ModelAdmin):  # type: ignore[misc]  # guardian's template attribute is typed looser than Django's.
    """Accounts: switch, send mode and canary flag editable in the list; health read-only."""

    form = PlatformAccountForm
    list_display = (
        "label",
        "platform",
        "is_active",
        "send_mode",
        "is_canary",
        "circuit_state",
        "last_ingest_success_at",
        "last_send_success_at",
        "disabled_reason",
    )
    list_editable = POLICY_FIELDS
    list_filter = ("platform", "is_active", "send_mode", "circuit_state", "needs_operator_login")
    search_fields = ("label", "username")
    readonly_fields = (
        "last_ingest_success_at",
        "last_send_success_at",
        "last_error_at",
        "last_error_class",
        "ingest_error_count",
        "send_error_count",
        "consecutive_failures",
        "circuit_state",
        "circuit_opened_at",
        "needs_operator_login",
        "disabled_reason",
        "ingest_cursor",
        "created_at",
        "updated_at",
    )
    actions = ("switch_off", "switch_on", "set_draft_only", "set_auto_send", "follow_global_mode")

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        return _reason_formset(request, super().get_changelist_formset(request, **kwargs))

    # The "Object permissions" pages: every grant and revoke goes through
    # platforms.roles.account_perms_set, with the admin as actor and a required reason.
    def get_obj_perms_manage_user_form(self, request: HttpRequest) -> type[forms.Form]:
        return type("UserPermsForm", (AuditedUserObjectPermissionsForm,), {"actor": request.user})

    def get_obj_perms_manage_group_form(self, request: HttpRequest) -> type[forms.Form]:
        return type("GroupPermsForm", (AuditedGroupObjectPermissionsForm,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: PlatformAccount, form: Any, change: bool) -> None:
        if not change:
            obj.save()

            audit_record(
                action="account.create",
                actor=request.user,
                obj=obj,
                platform=obj.platform.slug,
                after={"label": obj.label},
            )
            return
        policy = {f: form.cleaned_data[f] for f in POLICY_FIELDS if f in form.changed_data}
        other = [f for f in form.changed_data if f not in (*POLICY_FIELDS, "reason")]
        if other:
            obj.save(update_fields=[*other, "updated_at"])
        if policy:
            services.account_update_policy(account_id=obj.pk, actor=request.user, reason=_reason(request), **policy)

    def _bulk(
        self, request: HttpRequest, queryset: QuerySet[PlatformAccount], title: str, action: str, **change: Any
    ) -> HttpResponse | None:
        page = _confirm(self, request, queryset, action, title)
        if page is not None:
            return page
        for account in queryset:
            services.account_update_policy(account_id=account.pk, actor=request.user, reason="admin action", **change)
        self.message_user(request, f"{queryset.count()} account(s) updated.", messages.SUCCESS)
        return None

    @admin.action(description="Switch selected accounts off", permissions=["change"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet[PlatformAccount]) -> HttpResponse | None:
        return self._bulk(request, queryset, "Switch these accounts off?", "switch_off", is_active=False)

    @admin.action(description="Switch selected accounts on", permissions=["change"])
    def switch_on(self, request: HttpRequest, queryset: QuerySet[PlatformAccount]) -> HttpResponse | None:
        return self._bulk(request, queryset, "Switch these accounts on?", "switch_on", is_active=True)

    @admin.action(description="Set send mode: draft only", permissions=["change"])
    def set_draft_only(self, request: HttpRequest, queryset: QuerySet[PlatformAccount]) -> HttpResponse | None:
        return self._bulk(
            request, queryset, "Make these accounts draft-only?", "set_draft_only", send_mode="draft_only"
        )

    @admin.action(description="Set send mode: auto send", permissions=["change"])
    def set_auto_send(self, request: HttpRequest, queryset: QuerySet[PlatformAccount]) -> HttpResponse | None:
        return self._bulk(request, queryset, "Let these accounts auto-send?", "set_auto_send", send_mode="auto_send")

    @admin.action(description="Follow the global send mode", permissions=["change"])
    def follow_global_mode(self, request: HttpRequest, queryset: QuerySet[PlatformAccount]) -> HttpResponse | None:
        return self._bulk(
            request, queryset, "Make these accounts follow the global mode?", "follow_global_mode", send_mode=""
        )


@admin.register(BotSettings)
class BotSettingsAdmin(admin.ModelAdmin):
    """The single settings row: no second row, no delete; changes audited field by field."""

    list_display = ("__str__", "default_send_mode", "rollout_stage", "canary_share_percent", "updated_at")
    list_editable = ("default_send_mode",)
    list_display_links = ("__str__",)
    # Only `manage.py rollout promote` / `rollback` move the stage (gates, stage history, audit).
    readonly_fields = ("rollout_stage",)
    form = BotSettingsForm
    fields = (
        "default_send_mode",
        "rollout_stage",
        "canary_share_percent",
        "max_auto_send_age_minutes",
        "allowlist_only",
        "reason",
    )

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        return _reason_formset(
            request, super().get_changelist_formset(request, **kwargs), BotSettingsForm.policy_fields
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BotSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BotSettings, form: Any, change: bool) -> None:
        if not change:
            obj.save()
            return
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f in BotSettingsForm.policy_fields}
        if changed:
            services.settings_update(actor=request.user, reason=_reason(request), **changed)


@admin.register(BrowserSession)
class BrowserSessionAdmin(admin.ModelAdmin):
    """Saved browser sessions: who saved them and when, never their content; deleting one logs the account out."""

    list_display = ("account", "saved_by", "updated_at")
    fields = ("account", "saved_by", "updated_at")
    readonly_fields = fields
    search_fields = ("account__label",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: BrowserSession) -> None:
        account = obj.account
        super().delete_model(request, obj)
        audit_record(action="account.session_forgotten", actor=request.user, obj=account, reason="deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[BrowserSession]) -> None:
        for session in queryset.select_related("account"):
            self.delete_model(request, session)


def _ask_reason(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, action: str, title: str, submit: str
) -> HttpResponse | None:
    """Ask for a reason first (a page listing the rows); return None once it is given."""
    if request.POST.get("confirmed") == "yes" and _reason(request):
        return None
    return TemplateResponse(
        request,
        "admin/platforms/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": list(queryset),
            "action": action,
            "submit": submit,
            "error": "Give a reason." if request.POST.get("confirmed") == "yes" else "",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


class HealingDecisionForm(forms.ModelForm):
    """A person's decision on a proposal: accept (as proposed or edited) or reject, always with a reason."""

    decision = forms.ChoiceField(choices=(("accept", "Accept (becomes the override)"), ("reject", "Reject")))
    value = forms.CharField(
        required=False,
        max_length=500,
        help_text="The selector to accept; edit it if the proposal is close but not right.",
    )
    why = forms.CharField(max_length=300, help_text="Why; kept with the proposal and in the audit log.")

    class Meta:
        model = HealingEvent
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["value"].initial = self.instance.proposed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = self.instance.status
        if data.get("decision") == "accept" and status not in (HealingStatus.OPEN, HealingStatus.FAILED):
            raise ValidationError(f"This proposal is {status}; it cannot be accepted.")
        if data.get("decision") == "reject" and status == HealingStatus.ACCEPTED:
            raise ValidationError("This proposal was accepted; revert its override instead.")
        return data


@admin.register(HealingEvent)
class HealingEventAdmin(admin.ModelAdmin):
    """Healing proposals: what missed, what healing found in its place (redacted evidence), and the decision."""

    list_display = (
        "id",
        "platform",
        "key",
        "proposed",
        "score_shown",
        "status",
        "occurrences",
        "held_sends",
        "last_seen_at",
    )
    list_filter = ("status", "platform", "kind")
    search_fields = ("key", "proposed")
    list_select_related = ("platform",)
    actions = ("accept_selected", "reject_selected")
    form = HealingDecisionForm
    readonly_fields = (
        "platform",
        "account",
        "key",
        "kind",
        "old_locator",
        "proposed",
        "score_shown",
        "evidence_shown",
        "status",
        "occurrences",
        "held_sends",
        "first_seen_at",
        "last_seen_at",
        "decided_by",
        "decided_at",
        "reason",
    )
    fields = (*readonly_fields, "decision", "value", "why")

    @admin.display(description="score")
    def score_shown(self, obj: HealingEvent) -> str:
        return f"{obj.score:.2f}"

    @admin.display(description="evidence (redacted: no renter text)")
    def evidence_shown(self, obj: HealingEvent) -> str:
        evidence = obj.evidence or {}
        lines = [f"page: {evidence.get('path', '?')}", f"before: {evidence.get('before', '')}"]
        lines += [f"after:  {evidence.get('after', '')}", f"runner-up score: {evidence.get('runner_up', 0):.2f}"]
        parts = evidence.get("parts") or {}
        lines.append("parts: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
        return "\n".join(lines)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: HealingEvent, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if data["decision"] == "accept":
            healing.healing_accept(event_id=obj.pk, actor=request.user, reason=data["why"], value=data["value"] or "")
        else:
            healing.healing_reject(event_id=obj.pk, actor=request.user, reason=data["why"])
        obj.refresh_from_db()

    def _decide(self, request: HttpRequest, queryset: QuerySet[HealingEvent], accept: bool) -> None:
        done, refused = 0, []
        for event in queryset:
            try:
                if accept:
                    healing.healing_accept(event_id=event.pk, actor=request.user, reason=_reason(request))
                else:
                    healing.healing_reject(event_id=event.pk, actor=request.user, reason=_reason(request))
                done += 1
            except LeasebotError as exc:
                refused.append(f"#{event.pk}: {exc.message}")
        verb = "accepted" if accept else "rejected"
        self.message_user(request, f"{done} proposal(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not done: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Accept selected proposals as proposed", permissions=["change"])
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[HealingEvent]) -> HttpResponse | None:
        page = _ask_reason(self, request, queryset, "accept_selected", "Accept these proposals?", "Accept")
        if page is not None:
            return page
        self._decide(request, queryset, accept=True)
        return None

    @admin.action(description="Reject selected proposals", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[HealingEvent]) -> HttpResponse | None:
        page = _ask_reason(self, request, queryset, "reject_selected", "Reject these proposals?", "Reject")
        if page is not None:
            return page
        self._decide(request, queryset, accept=False)
        return None


class LocatorOverrideForm(forms.ModelForm):
    """A locator override set by hand: a key the platform's map knows, a selector, a reason."""

    class Meta:
        model = LocatorOverride
        fields = ("platform", "key", "value", "reason")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        platform, key = data.get("platform"), data.get("key")
        if platform is not None and key and key not in healing.locator_keys(platform.slug):
            raise ValidationError({"key": f"{platform.slug}'s locator map has no {key!r}."})
        return data


@admin.register(LocatorOverride)
class LocatorOverrideAdmin(admin.ModelAdmin):
    """Locator overrides: versioned, applied by every worker's next job; revert takes one back in one click."""

    list_display = ("platform", "key", "value", "version", "active", "created_by", "created_at", "reason")
    list_filter = ("active", "platform")
    search_fields = ("key", "value")
    list_select_related = ("platform", "created_by")
    actions = ("revert_selected",)
    form = LocatorOverrideForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Rows are versions: a new value is a new row; only the revert action (a change) touches one.
        return obj is None and bool(request.user.has_perm("platforms.change_locatoroverride"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LocatorOverride, form: Any, change: bool) -> None:
        data = form.cleaned_data
        made = healing.override_set(
            platform=data["platform"].slug,
            key=data["key"],
            value=data["value"],
            actor=request.user,
            reason=data["reason"],
        )
        obj.pk = made.pk

    @admin.action(description="Revert selected overrides (the version before comes back)", permissions=["change"])
    def revert_selected(self, request: HttpRequest, queryset: QuerySet[LocatorOverride]) -> HttpResponse | None:
        page = _ask_reason(self, request, queryset, "revert_selected", "Revert these overrides?", "Revert")
        if page is not None:
            return page
        done, refused = 0, []
        for override in queryset:
            try:
                healing.override_revert(override_id=override.pk, actor=request.user, reason=_reason(request))
                done += 1
            except LeasebotError as exc:
                refused.append(f"#{override.pk}: {exc.message}")
        self.message_user(request, f"{done} override(s) reverted.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not reverted: " + "; ".join(refused), messages.WARNING)
        return None
