"""Healing on the database: fingerprints, healing events (proposals) and locator overrides.

:class:`DatabaseMemory` is the :class:`~platforms.connectors.healing.LocatorMemory` the
workers give their connectors: it loads an account's fingerprints once per job, writes one
only when it changed, records healings as open proposals (one row per proposal, counted),
and hands out the platform's accepted overrides. Overrides are read when a connector is
built, that is once per job, so an accepted (or reverted) override is obeyed by every
worker's next job on that platform, the same bound as the policies (``platforms.policies``
reads the database on every check), with no restart.

The writes a person makes (accept, edit-and-accept, reject, revert) are the services here,
each audited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum
from django.utils import timezone

from leasebot.core import metrics
from leasebot.core.alerts import alert
from leasebot.core.exceptions import ValidationFailed
from leasebot.core.services import audit_record
from platforms.choices import HealingStatus
from platforms.connectors.healing import Fingerprint, Healing
from platforms.connectors.registry import connector_classes
from platforms.models import HealingEvent, LocatorFingerprint, LocatorOverride, Platform

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None


class DatabaseMemory:
    """Fingerprints, healing events and overrides in PostgreSQL (see the module docstring)."""

    def fingerprints(self, platform: str, account_id: int) -> Mapping[str, Fingerprint]:
        rows = LocatorFingerprint.objects.filter(account_id=account_id).values_list("key", "data")
        return {key: Fingerprint.from_json(data) for key, data in rows}

    def remember(self, platform: str, account_id: int, key: str, fingerprint: Fingerprint) -> None:
        LocatorFingerprint.objects.update_or_create(
            account_id=account_id, key=key, defaults={"data": fingerprint.as_json(), "digest": fingerprint.digest}
        )

    def record_healing(self, healing: Healing) -> int | None:
        """Record (or count again) a healing; None when a person rejected it or it failed validation before."""
        platform = Platform.objects.get(slug=healing.platform)
        known = (
            HealingEvent.objects.filter(platform=platform, key=healing.key, proposed=healing.proposed)
            .exclude(status=HealingStatus.ACCEPTED)
            .order_by("-pk")
            .first()
        )
        if known is not None and known.status in (HealingStatus.REJECTED, HealingStatus.FAILED):
            HealingEvent.objects.filter(pk=known.pk).update(occurrences=F("occurrences") + 1)
            logger.info("healing: %s -> %r was %s before: not used", healing.key, healing.proposed, known.status)
            return None
        held = 1 if healing.held else 0
        if known is not None:
            HealingEvent.objects.filter(pk=known.pk).update(
                occurrences=F("occurrences") + 1,
                held_sends=F("held_sends") + held,
                score=healing.score,
                evidence=dict(healing.evidence),
                account_id=healing.account_id,
                last_seen_at=timezone.now(),
            )
            return known.pk
        try:
            with transaction.atomic():
                event = HealingEvent.objects.create(
                    platform=platform,
                    account_id=healing.account_id,
                    key=healing.key,
                    kind=healing.kind,
                    old_locator="\n".join(healing.old),
                    proposed=healing.proposed,
                    score=healing.score,
                    evidence=dict(healing.evidence),
                    held_sends=held,
                )
        except IntegrityError:  # Another worker recorded the same proposal a moment ago.
            return self.record_healing(healing)
        metrics.inc("leasebot_locator_healings_total", platform=healing.platform, outcome="proposed")
        alert(
            "locator_healed",
            f"{healing.platform}: {healing.key} missed and healed as {healing.proposed!r} "
            f"(score {healing.score:.2f}); proposal {event.pk} waits for a person",
            key=f"{healing.platform}:{healing.key}",
            platform=healing.platform,
            locator=healing.key,
            proposal=event.pk,
        )
        return event.pk

    def healing_failed(self, event_id: int, reason: str) -> None:
        events = HealingEvent.objects.filter(pk=event_id, status=HealingStatus.OPEN)
        platform = events.values_list("platform__slug", flat=True).first()
        if events.update(
            status=HealingStatus.FAILED, reason=f"failed validation: {reason}"[:500], decided_at=timezone.now()
        ):
            metrics.inc("leasebot_locator_healings_total", platform=platform or "", outcome="failed_validation")

    def overrides(self, platform: str) -> Mapping[str, str]:
        return dict(LocatorOverride.objects.filter(platform__slug=platform, active=True).values_list("key", "value"))


def locator_memory() -> DatabaseMemory:
    """Return the memory the workers' connectors use."""
    return DatabaseMemory()


# --- a person's decisions -------------------------------------------------------------------


def _person(actor: Actor) -> Any:
    """The signed-in user who decided, or None (a command, the bot)."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def override_set(
    *, platform: str, key: str, value: str, actor: Actor, reason: str, proposal: HealingEvent | None = None
) -> LocatorOverride:
    """Make ``value`` the active override of ``key`` on ``platform`` (a new version); audited."""
    value, reason = value.strip(), reason.strip()
    if not value:
        raise ValidationFailed("an override needs a selector")
    if not reason:
        raise ValidationFailed("say why: the reason is kept with the override")
    target = Platform.objects.select_for_update().get(slug=platform)
    current = LocatorOverride.objects.filter(platform=target, key=key, active=True).first()
    version = (LocatorOverride.objects.filter(platform=target, key=key).aggregate(v=Max("version"))["v"] or 0) + 1
    if current is not None:
        current.active = False
        current.save(update_fields=["active"])
    override = LocatorOverride.objects.create(
        platform=target,
        key=key,
        value=value,
        version=version,
        proposal=proposal,
        replaces=current,
        created_by=_person(actor),
        reason=reason,
    )
    audit_record(
        action="locator.override_set",
        actor=actor,
        obj=override,
        platform=platform,
        before={"value": current.value if current else None, "version": current.version if current else None},
        after={"value": value, "version": version, "proposal": proposal.pk if proposal else None},
        reason=reason,
    )
    return override


@transaction.atomic
def healing_accept(*, event_id: int, actor: Actor, reason: str, value: str = "") -> LocatorOverride:
    """Accept a proposal (``value``: the person's edit of the selector): it becomes the key's override."""
    event = HealingEvent.objects.select_for_update(of=("self",)).select_related("platform").get(pk=event_id)
    if event.status not in (HealingStatus.OPEN, HealingStatus.FAILED):
        raise ValidationFailed(f"proposal {event_id} is {event.status}; only an open or failed one can be accepted")
    override = override_set(
        platform=event.platform.slug,
        key=event.key,
        value=value or event.proposed,
        actor=actor,
        reason=reason,
        proposal=event,
    )
    _decide(event, HealingStatus.ACCEPTED, actor, reason)
    return override


@transaction.atomic
def healing_reject(*, event_id: int, actor: Actor, reason: str) -> None:
    """Reject a proposal: healing never uses that selector for that key again."""
    if not reason.strip():
        raise ValidationFailed("say why: the reason is kept with the proposal")
    event = HealingEvent.objects.select_for_update(of=("self",)).select_related("platform").get(pk=event_id)
    if event.status == HealingStatus.ACCEPTED:
        raise ValidationFailed(f"proposal {event_id} was accepted; revert its override instead")
    _decide(event, HealingStatus.REJECTED, actor, reason)


def _decide(event: HealingEvent, status: str, actor: Actor, reason: str) -> None:
    before = event.status
    event.status = status
    event.decided_by = _person(actor)
    event.decided_at = timezone.now()
    event.reason = reason.strip()
    event.save(update_fields=["status", "decided_by", "decided_at", "reason", "last_seen_at"])
    audit_record(
        action=f"locator.healing_{status}",
        actor=actor,
        obj=event,
        platform=event.platform.slug,
        before={"status": before},
        after={"status": status, "key": event.key, "proposed": event.proposed},
        reason=event.reason,
    )


@transaction.atomic
def override_revert(*, override_id: int, actor: Actor, reason: str) -> LocatorOverride | None:
    """Take an active override back: the version it replaced (if any) is active again; return that one."""
    if not reason.strip():
        raise ValidationFailed("say why: the reason is kept in the audit log")
    override = (
        LocatorOverride.objects.select_for_update(of=("self",))
        .select_related("platform", "replaces")
        .get(pk=override_id)
    )
    if not override.active:
        raise ValidationFailed(f"override {override_id} is not active")
    override.active = False
    override.save(update_fields=["active"])
    restored = override.replaces
    if restored is not None:
        restored.active = True
        restored.save(update_fields=["active"])
    audit_record(
        action="locator.override_revert",
        actor=actor,
        obj=override,
        platform=override.platform.slug,
        before={"value": override.value, "version": override.version},
        after={"value": restored.value if restored else None, "version": restored.version if restored else None},
        reason=reason.strip(),
    )
    return restored


def locator_keys(platform: str) -> list[str]:
    """Every locator key of a platform's map, with the primary candidate the code gives it."""
    return sorted(code_locators(platform))


def code_locators(platform: str) -> dict[str, str]:
    """Each locator key of a platform's map and its first candidate (fields of ``thread.context`` as ``thread.*``)."""
    lmap = connector_classes()[platform].locators
    keys = {name: spec.candidates[0] for name, spec in lmap.elements.items()}
    for name, group in lmap.groups.items():
        if name != "thread.context":
            keys[name] = group.item.candidates[0]
        prefix = "thread" if name == "thread.context" else name
        keys.update({f"{prefix}.{field}": spec.candidates[0] for field, spec in group.fields.items()})
    return keys


#: Healing events the Health page lists per platform (the latest open or failed ones).
HEALTH_RECENT = 5


def healing_health() -> dict[str, dict[str, Any]]:
    """Return, per platform slug, its locators in use (origin: code or override) and its healing events (three queries).

    For the Health page: which selector each locator uses now and where it comes from, how
    many proposals wait or failed validation, how many sends waited for them, and the latest.
    """
    overrides: dict[str, dict[str, tuple[str, int]]] = {}
    for slug, key, value, version in LocatorOverride.objects.filter(active=True).values_list(
        "platform__slug", "key", "value", "version"
    ):
        overrides.setdefault(slug, {})[key] = (value, version)
    counts: dict[str, dict[str, int]] = {}
    for row in HealingEvent.objects.values("platform__slug", "status").annotate(n=Count("id"), held=Sum("held_sends")):
        mine = counts.setdefault(row["platform__slug"], {"open": 0, "failed": 0, "held_sends": 0})
        if row["status"] in ("open", "failed"):
            mine[row["status"]] += row["n"]
            mine["held_sends"] += row["held"] or 0
    recent: dict[str, list[dict[str, Any]]] = {}
    for event in HealingEvent.objects.filter(status__in=(HealingStatus.OPEN, HealingStatus.FAILED)).values(
        "id", "platform__slug", "key", "proposed", "score", "status", "occurrences", "held_sends", "last_seen_at"
    )[:200]:
        brief: dict[str, Any] = dict(event)
        slug = str(brief.pop("platform__slug"))
        if len(recent.setdefault(slug, [])) < HEALTH_RECENT:
            recent[slug].append(brief)
    out: dict[str, dict[str, Any]] = {}
    for slug in connector_classes():
        active = overrides.get(slug, {})
        locators = [
            {
                "key": key,
                "origin": "override" if key in active else "code",
                "value": active[key][0] if key in active else value,
                "version": active[key][1] if key in active else None,
            }
            for key, value in sorted(code_locators(slug).items())
        ]
        out[slug] = {
            "locators": locators,
            "healing": {**counts.get(slug, {"open": 0, "failed": 0, "held_sends": 0}), "recent": recent.get(slug, [])},
        }
    return out
