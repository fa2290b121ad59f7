"""Roles (groups) and the per-account grants that scope agents."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from leasebot.core.exceptions import ValidationFailed
from leasebot.core.services import audit_record
from platforms.models import PlatformAccount

ROLES = ("admin", "agent", "ops")
ACCESS_PERM = "platforms.access_platformaccount"


def user_role(user: AbstractUser) -> str:
    """Return the user's role name ("" for none); superusers are admins."""
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return "admin"
    names = set(user.groups.values_list("name", flat=True))
    for role in ROLES:
        if role in names:
            return role
    return ""


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


def accounts_for_user(user: AbstractUser) -> QuerySet[PlatformAccount]:
    """Return the accounts a user may see: all for admins and ops, granted ones for agents."""
    role = user_role(user)
    if role in {"admin", "ops"}:
        return PlatformAccount.objects.all()
    if role == "agent":
        return get_objects_for_user(user, ACCESS_PERM, klass=PlatformAccount, accept_global_perms=False)
    return PlatformAccount.objects.none()
