"""Writes on platforms, accounts and the bot settings: every policy change is audited."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from leasebot.core import metrics
from leasebot.core.alerts import alert
from leasebot.core.exceptions import ValidationFailed
from leasebot.core.services import audit_record
from platforms import guard
from platforms.choices import CircuitState, RolloutStage, SendMode
from platforms.connectors.errors import ConnectorError, HealingPending, NeedsOperatorLogin, SelectorDrift
from platforms.events import accounts_stopped
from platforms.models import (
    THREAD_PREVIEW_KEEP,
    THREAD_PREVIEW_PRUNE_BATCH,
    BotSettings,
    Platform,
    PlatformAccount,
    ThreadPreview,
)

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

_UNSET: Any = object()


def _announce_stopped(account_ids: list[int], reason: str) -> None:
    """Tell the layers above that these accounts stopped (the inbox holds their queued replies)."""
    accounts_stopped.send(sender=PlatformAccount, account_ids=account_ids, reason=reason)


def _validate_choice(value: str, allowed: list[str], field: str) -> None:
    if value not in allowed:
        raise ValidationFailed(
            f"{field} must be one of {', '.join(repr(v) for v in allowed)}; got {value!r}", field=field
        )


@transaction.atomic
def platform_set_active(*, platform_id: int, is_active: bool, actor: Actor, reason: str = "") -> Platform:
    """Switch a platform on or off (every account on it follows), audited."""
    platform = Platform.objects.select_for_update().get(pk=platform_id)
    if platform.is_active == is_active:
        return platform
    before = {"is_active": platform.is_active}
    platform.is_active = is_active
    platform.save(update_fields=["is_active"])
    if not is_active:
        _announce_stopped(
            list(platform.accounts.values_list("pk", flat=True)), f"platform {platform.slug} switched off"
        )
    audit_record(
        action="platform.toggle",
        actor=actor,
        obj=platform,
        platform=platform.slug,
        before=before,
        after={"is_active": is_active},
        reason=reason,
    )
    return platform


@transaction.atomic
def account_update_policy(
    *,
    account_id: int,
    actor: Actor,
    is_active: bool = _UNSET,
    send_mode: str = _UNSET,
    is_canary: bool = _UNSET,
    reason: str = "",
) -> PlatformAccount:
    """Change an account's switch, send-mode override or canary flag; one audit row per change."""
    account = PlatformAccount.objects.select_for_update().select_related("platform").get(pk=account_id)
    changes: dict[str, Any] = {}
    if send_mode is not _UNSET:
        _validate_choice(send_mode, ["", *SendMode.values], "send_mode")
        if send_mode != account.send_mode:
            changes["send_mode"] = send_mode
    if is_active is not _UNSET and bool(is_active) != account.is_active:
        changes["is_active"] = bool(is_active)
    if is_canary is not _UNSET and bool(is_canary) != account.is_canary:
        changes["is_canary"] = bool(is_canary)
    if not changes:
        return account
    before = {k: getattr(account, k) for k in changes}
    for key, val in changes.items():
        setattr(account, key, val)
    fields = list(changes)
    if changes.get("is_active") is True:
        # Switching an account back on clears the reason it was switched off.
        account.disabled_reason = ""
        account.needs_operator_login = False
        account.consecutive_failures = 0
        account.circuit_state = CircuitState.CLOSED
        fields += ["disabled_reason", "needs_operator_login", "consecutive_failures", "circuit_state"]
        # A person looked and switched it back on: the breaker starts closed again.

        transaction.on_commit(lambda: guard.reset_circuit(account_id))
    account.save(update_fields=[*fields, "updated_at"])
    if changes.get("is_active") is False:
        _announce_stopped([account.pk], "account switched off")
    for key in changes:
        audit_record(
            action=f"account.{'toggle' if key == 'is_active' else key}",
            actor=actor,
            obj=account,
            platform=account.platform.slug,
            before={key: before[key]},
            after={key: changes[key]},
            reason=reason,
        )
    return account


@transaction.atomic
def settings_update(
    *,
    actor: Actor,
    default_send_mode: str = _UNSET,
    rollout_stage: str = _UNSET,
    canary_share_percent: int = _UNSET,
    max_auto_send_age_minutes: int = _UNSET,
    allowlist_only: bool = _UNSET,
    reason: str = "",
) -> BotSettings:
    """Change global policy; every changed field writes one audit row."""
    row = BotSettings.objects.select_for_update().get(pk=1)
    changes: dict[str, Any] = {}
    if default_send_mode is not _UNSET:
        _validate_choice(default_send_mode, list(SendMode.values), "default_send_mode")
        changes["default_send_mode"] = default_send_mode
    if rollout_stage is not _UNSET:
        _validate_choice(rollout_stage, list(RolloutStage.values), "rollout_stage")
        changes["rollout_stage"] = rollout_stage
    if canary_share_percent is not _UNSET:
        if not isinstance(canary_share_percent, int) or not 0 <= canary_share_percent <= 100:
            raise ValidationFailed(
                "canary_share_percent must be a whole number from 0 to 100", field="canary_share_percent"
            )
        changes["canary_share_percent"] = canary_share_percent
    if max_auto_send_age_minutes is not _UNSET:
        if not isinstance(max_auto_send_age_minutes, int) or max_auto_send_age_minutes < 0:
            raise ValidationFailed("max_auto_send_age_minutes must be 0 or more", field="max_auto_send_age_minutes")
        changes["max_auto_send_age_minutes"] = max_auto_send_age_minutes
    if allowlist_only is not _UNSET:
        changes["allowlist_only"] = bool(allowlist_only)
    changes = {k: v for k, v in changes.items() if getattr(row, k) != v}
    if not changes:
        return row
    before = {k: getattr(row, k) for k in changes}
    for key, val in changes.items():
        setattr(row, key, val)
    row.save(update_fields=[*changes, "updated_at"])
    for key in changes:
        audit_record(
            action=f"settings.{key}",
            actor=actor,
            obj=row,
            before={key: before[key]},
            after={key: changes[key]},
            reason=reason,
        )
    return row


def account_create(
    *, platform_slug: str, label: str, username: str, credential_ref: str = "", actor: Actor = None, **fields: Any
) -> PlatformAccount:
    """Create an account after full validation (credential must be a reference), audited."""
    try:
        platform = Platform.objects.get(slug=platform_slug)
    except Platform.DoesNotExist as exc:
        raise ValidationFailed(f"unknown platform {platform_slug!r}", field="platform") from exc
    account = PlatformAccount(
        platform=platform, label=label, username=username, credential_ref=credential_ref, **fields
    )
    try:
        account.full_clean()
    except ValidationError as exc:
        raise ValidationFailed("invalid account", errors=exc.message_dict) from exc
    with transaction.atomic():
        account.save()
        audit_record(action="account.create", actor=actor, obj=account, platform=platform_slug, after={"label": label})
    return account


def account_record_success(*, account_id: int, stage: str) -> None:
    """Note a successful ingest or send: health fields, failure streak reset."""
    now = timezone.now()
    field = "last_ingest_success_at" if stage == "ingest" else "last_send_success_at"
    PlatformAccount.objects.filter(pk=account_id).update(**{field: now, "consecutive_failures": 0})


def thread_preview_record(*, account_id: int, thread_ref: str, signature: str) -> bool:
    """Remember what the inbox row of a thread showed once all its messages are stored (one upsert).

    Called only after the thread's messages are committed: a signature kept for a thread
    whose messages were not all stored would make the next read skip them. Bookkeeping only:
    a preview the database refuses is logged and not kept (its own savepoint, so the caller's
    transaction goes on), and the read goes on; that thread is simply opened again next time.
    Returns whether it was kept.
    """
    if not signature:
        return False
    try:
        with transaction.atomic():
            ThreadPreview.objects.bulk_create(
                [
                    ThreadPreview(
                        account_id=account_id, thread_ref=thread_ref, signature=signature, seen_at=timezone.now()
                    )
                ],
                update_conflicts=True,
                unique_fields=["account", "thread_ref"],
                update_fields=["signature", "seen_at"],
            )
    except DatabaseError as exc:
        logger.warning(
            "thread preview not kept for account %s (the thread is opened again next read): %s",
            account_id,
            type(exc).__name__,
            extra={"account": account_id, "thread_ref": thread_ref[:200]},
        )
        return False
    return True


def thread_previews_prune(*, account_id: int) -> int:
    """Delete an account's previews not recorded for :data:`~platforms.models.THREAD_PREVIEW_KEEP`; say how many.

    Nothing else ever removes them, and every read loads the account's previews: without this
    they would grow with every thread the account ever had. At most
    :data:`~platforms.models.THREAD_PREVIEW_PRUNE_BATCH` a call, so one read's start stays short.
    """
    cutoff = timezone.now() - THREAD_PREVIEW_KEEP
    stale = ThreadPreview.objects.filter(account_id=account_id, seen_at__lt=cutoff).order_by("seen_at")
    ids = list(stale.values_list("pk", flat=True)[:THREAD_PREVIEW_PRUNE_BATCH])
    if not ids:
        return 0
    deleted, _ = ThreadPreview.objects.filter(pk__in=ids).delete()
    return deleted


def account_record_failure(
    *, account_id: int, stage: str, error: ConnectorError, circuit_state: str = ""
) -> PlatformAccount:
    """Count a failure; disable the account with a reason where the error calls for it, and alert."""
    now = timezone.now()
    counter = "ingest_error_count" if stage == "ingest" else "send_error_count"
    updates: dict[str, Any] = {
        counter: F(counter) + 1,
        "consecutive_failures": F("consecutive_failures") + 1,
        "last_error_at": now,
        "last_error_class": error.error_class,
    }
    if circuit_state:
        updates["circuit_state"] = circuit_state
        if circuit_state == CircuitState.OPEN:
            updates["circuit_opened_at"] = now
    PlatformAccount.objects.filter(pk=account_id).update(**updates)
    account = PlatformAccount.objects.select_related("platform").get(pk=account_id)
    slug = account.platform.slug
    metrics.inc("leasebot_errors_total", platform=slug, stage=stage, error_class=error.error_class)
    if isinstance(error, NeedsOperatorLogin):
        account_disable(
            account_id=account_id, reason=f"{error.error_class}: needs operator login", needs_operator_login=True
        )
        alert(
            "operator_login_needed",
            f"{account} needs an operator login",
            key=str(account_id),
            account=account_id,
            platform=slug,
        )
    elif error.disables_account:
        account_disable(account_id=account_id, reason=f"{error.error_class}: {error.message}"[:300])
    elif isinstance(error, SelectorDrift) and not isinstance(error, HealingPending):
        # The page changed: no hot retry. The account's waiting replies go to a person now,
        # rather than sit queued behind an open circuit until the locators are fixed. (Not for
        # a drift that healing found: reads carry on and sends wait for the proposal's acceptance.)
        _announce_stopped([account_id], f"SelectorDrift: {error.message}"[:200])
        alert(
            "selector_drift",
            f"{account}: {error.extra.get('locator', '?')} matched nothing healing could trust; "
            "see docs/runbooks/selector-drift.md",
            key=f"{slug}:{error.extra.get('locator', '')}",
            account=account_id,
            platform=slug,
            locator=error.extra.get("locator", ""),
        )
    if error.opens_circuit or circuit_state == CircuitState.OPEN:
        metrics.inc("leasebot_circuit_open_total", platform=slug)
        alert(
            "circuit_open",
            f"circuit opened for {account} ({error.error_class})",
            key=str(account_id),
            account=account_id,
            platform=slug,
        )
    account.refresh_from_db()
    return account


@transaction.atomic
def account_disable(*, account_id: int, reason: str, needs_operator_login: bool = False) -> None:
    """Switch an account off on the bot's own judgement, with the reason shown in health."""
    account = PlatformAccount.objects.select_for_update().select_related("platform").get(pk=account_id)
    if not account.is_active and account.disabled_reason:
        return
    account.is_active = False
    account.disabled_reason = reason[:300]
    account.needs_operator_login = account.needs_operator_login or needs_operator_login
    account.save(update_fields=["is_active", "disabled_reason", "needs_operator_login", "updated_at"])
    _announce_stopped([account.pk], reason)
    audit_record(
        action="account.disable",
        system="worker",
        obj=account,
        platform=account.platform.slug,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason,
    )


def account_set_circuit(*, account_id: int, state: str) -> None:
    """Mirror the guard's circuit state (kept in Redis) onto the account's health fields."""
    updates: dict[str, Any] = {"circuit_state": state}
    if state == CircuitState.OPEN:
        updates["circuit_opened_at"] = timezone.now()
    PlatformAccount.objects.filter(pk=account_id).exclude(circuit_state=state).update(**updates)
