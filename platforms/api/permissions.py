"""Role checks shared by every app's API: roles come from groups (``platforms.roles``).

Role decides what kind of thing a user may do; django-guardian grants decide which
accounts (and so which conversations, drafts and dead letters) an agent may see at all.
Objects outside a user's scope are simply not in the queryset, so they answer 404.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from platforms.roles import accounts_for_user, user_role


def request_role(request: Request) -> str:
    """Return the caller's role, read once per request."""
    return cached_role(request.user)


class HasRole(BasePermission):
    """Allow users that hold one of ``roles`` (every role when empty); others get 403."""

    roles: tuple[str, ...] = ()
    message = "your role may not use this endpoint"

    def has_permission(self, request: Request, view: Any) -> bool:
        role = request_role(request)
        return bool(role) and (not self.roles or role in self.roles)


class AnyRole(HasRole):
    """Any of admin, agent or ops."""


class ReviewerRole(HasRole):
    """Admins and agents: the people who answer renters."""

    roles = ("admin", "agent")


class AdminRole(HasRole):
    """Admins only: toggles, send modes, settings, dead-letter retries."""

    roles = ("admin",)
    message = "only admins may do this"


class ReadAnyWriteAdmin(HasRole):
    """Every role reads; only admins write."""

    message = "only admins may change this"

    def has_permission(self, request: Request, view: Any) -> bool:
        role = request_role(request)
        if not role:
            return False
        return request.method in SAFE_METHODS or role == "admin"


class ReadAnyWriteReviewer(HasRole):
    """Every role reads (scoped); admins and agents write."""

    message = "your role may only read this"

    def has_permission(self, request: Request, view: Any) -> bool:
        role = request_role(request)
        if not role:
            return False
        return request.method in SAFE_METHODS or role in {"admin", "agent"}


def cached_role(user: Any) -> str:
    """Return the user's role, memoised on the user object (one query per request at most)."""
    role = getattr(user, "_leasebot_role", None)
    if role is None:
        role = user_role(user) if user is not None and user.is_authenticated else ""
        user._leasebot_role = role
    return role


def granted_account_ids(user: Any) -> list[int]:
    """Return the ids of the accounts an agent is granted, memoised on the user object for the request."""

    ids = getattr(user, "_leasebot_account_ids", None)
    if ids is None:
        ids = list(accounts_for_user(user).values_list("pk", flat=True))
        user._leasebot_account_ids = ids
    return ids


def scope_to_accounts(qs: Any, user: Any, *, field: str = "account") -> Any:
    """Limit a queryset to rows of accounts the user may see (admins and ops: all; agents: granted)."""
    role = cached_role(user)
    if role in {"admin", "ops"}:
        return qs
    if role == "agent":
        return qs.filter(**{f"{field}__in": granted_account_ids(user)})
    return qs.none()
