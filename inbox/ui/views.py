"""The review UI's pages: HTML shells whose data all comes from the API (``/api/v1/``).

The views only decide who may open a page (roles, and for a conversation the agent's
grant: another account's conversation is a 404, as in the API) and set the CSRF cookie
the page's script sends back as ``X-CSRFToken``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from inbox.choices import ReasonCode
from inbox.models import Conversation
from platforms.api.permissions import cached_role, scope_to_accounts

REVIEWERS = {"admin", "agent"}

#: The conversation list's tabs, in order: (key, label). The key is the page's ``?tab=``; the
#: page's script knows what each one asks the API for.
CONVERSATION_TABS = (
    ("needs", "Needs a human"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("taken", "Taken over"),
    ("waiting", "Waiting on renter"),
    ("snoozed", "Snoozed"),
    ("resolved", "Resolved"),
    ("all", "All"),
)


def _role_or_403(request: HttpRequest, allowed: set[str]) -> str:
    role = cached_role(request.user)
    if role not in allowed:
        raise PermissionDenied("your role may not open this page")
    return role


def _page(request: HttpRequest, template: str, page: str, role: str, **context: object) -> HttpResponse:
    common = {
        "page": page,
        "role": role,
        "undo_seconds": settings.LEASEBOT_REVIEW_UNDO_SECONDS,
        # The hold reasons are a fixed list in the code, not data: the filters name them in words.
        "reason_choices": ReasonCode.choices,
    }
    return render(request, f"review/{template}", {**common, **context})


@login_required
@ensure_csrf_cookie
def queue(request: HttpRequest) -> HttpResponse:
    """The review queue; ops, who answer no renters, land on the health board instead."""
    if cached_role(request.user) == "ops":
        return redirect("review:health")
    role = _role_or_403(request, REVIEWERS)
    return _page(request, "queue.html", "queue", role)


@login_required
@ensure_csrf_cookie
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One conversation; outside the agent's accounts it does not exist (404)."""
    role = _role_or_403(request, REVIEWERS)
    if not scope_to_accounts(Conversation.objects.filter(pk=conversation_id), request.user).exists():
        raise Http404("no such conversation")
    return _page(request, "conversation.html", "conversation", role, conversation_id=conversation_id)


@login_required
@ensure_csrf_cookie
def conversations(request: HttpRequest) -> HttpResponse:
    """Every conversation the caller may work on, by tab, with search (the queue shows only what waits).

    The tabs are links to ``?tab=``, the current one marked here: a tab clicked before the page's
    script has run still opens that tab (the script then takes the clicks over).
    """
    role = _role_or_403(request, REVIEWERS)
    keys = [key for key, _ in CONVERSATION_TABS]
    wanted = request.GET.get("tab", "")
    current = wanted if wanted in keys else keys[0]
    return _page(request, "conversations.html", "conversations", role, tabs=CONVERSATION_TABS, current_tab=current)


@login_required
@ensure_csrf_cookie
def settings_page(request: HttpRequest) -> HttpResponse:
    """Platform and account switches, send modes and the rollout stage: admins only."""
    role = _role_or_403(request, {"admin"})
    return _page(request, "settings.html", "settings", role)


@login_required
@ensure_csrf_cookie
def health(request: HttpRequest) -> HttpResponse:
    """The platform health board (every role; agents see their accounts)."""
    role = _role_or_403(request, {"admin", "agent", "ops"})
    return _page(request, "health.html", "health", role)
