"""Roles (groups) and the per-account grants that scope agents."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import (
    assign_perm,
    get_group_perms,
    get_objects_for_user,
    get_perms_for_model,
    get_user_perms,
    remove_perm,
)

from leasebot.core.exceptions import ValidationFailed
from leasebot.core.services import audit_record
from platforms.models import PlatformAccount

ROLES = ("admin", "agent", "ops")
ACCESS_PERM = "platforms.access_platformaccount"


#: Where a user object keeps its role once read (as Django's backend keeps ``_perm_cache``).
_ROLE_CACHE = "_leasebot_role"


def user_role(user: AbstractUser) -> str:
    """Return the user's role name ("" for none); superusers are admins.

    Read once per user object, so once per request however many checks ask; a role changed
    meanwhile shows from the next request (the next object) on.
    """
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return "admin"
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is not None:
        return str(cached)
    names = set(user.groups.values_list("name", flat=True))
    role = next((role for role in ROLES if role in names), "")
    setattr(user, _ROLE_CACHE, role)
    return role


@transaction.atomic
def user_create(
    *, username: str, role: str, password: str, email: str = "", actor: AbstractUser | None = None
) -> AbstractUser:
    """Create a user with one role; admins and ops may open the Django admin."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}; got {role!r}", field="role")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationFailed(f"user {username!r} already exists", field="username")
    user = user_model.objects.create_user(username=username, email=email, password=password)
    user.is_staff = role in {"admin", "ops"}
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=role))
    audit_record(action="user.create", actor=actor, system="cli", obj=user, after={"role": role})
    return user


@transaction.atomic
def account_grant(*, user: AbstractUser, account: PlatformAccount, actor: AbstractUser | None = None) -> None:
    """Let an agent work on one account's conversations (a django-guardian object permission)."""
    assign_perm("access_platformaccount", user, account)
    audit_record(
        action="account.grant",
        actor=actor,
        system="cli",
        obj=account,
        platform=account.platform.slug,
        after={"user": user.pk},
    )


@transaction.atomic
def account_revoke(*, user: AbstractUser, account: PlatformAccount, actor: AbstractUser | None = None) -> None:
    """Take an agent's grant on one account away."""
    remove_perm("access_platformaccount", user, account)
    audit_record(
        action="account.revoke",
        actor=actor,
        system="cli",
        obj=account,
        platform=account.platform.slug,
        after={"user": user.pk},
    )


@transaction.atomic
def account_perms_set(
    *,
    account: PlatformAccount,
    holder: AbstractUser | Group,
    perms: Iterable[str],
    actor: AbstractUser | None,
    reason: str,
) -> tuple[list[str], list[str]]:
    """Give a user or a group exactly ``perms`` on one account; audit each grant and revoke with the reason.

    The Django admin's object-permissions page (django-guardian) saves through here, so a grant
    made there leaves the same ``account.grant`` / ``account.revoke`` rows as the command line.
    Return the codenames granted and revoked.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("say why the permissions change (it goes into the audit log)", field="reason")
    wanted = set(perms)
    known = {perm.codename for perm in get_perms_for_model(PlatformAccount)}
    if unknown := wanted - known:
        raise ValidationFailed(f"not a permission on an account: {', '.join(sorted(unknown))}", field="permissions")
    is_group = isinstance(holder, Group)
    current = set(get_group_perms(holder, account) if is_group else get_user_perms(holder, account))
    who = {"group" if is_group else "user": holder.pk}
    revoked, granted = sorted(current - wanted), sorted(wanted - current)
    for action, codenames, change in (
        ("account.revoke", revoked, remove_perm),
        ("account.grant", granted, assign_perm),
    ):
        for codename in codenames:
            change(codename, holder, account)
            audit_record(
                action=action,
                actor=actor,
                system="admin",
                obj=account,
                platform=account.platform.slug,
                after={**who, "permission": codename},
                reason=reason,
            )
    return granted, revoked


def accounts_for_user(user: AbstractUser) -> QuerySet[PlatformAccount]:
    """Return the accounts a user may see: all for admins and ops, granted ones for agents."""
    role = user_role(user)
    if role in {"admin", "ops"}:
        return PlatformAccount.objects.all()
    if role == "agent":
        return get_objects_for_user(user, ACCESS_PERM, klass=PlatformAccount, accept_global_perms=False)
    return PlatformAccount.objects.none()
