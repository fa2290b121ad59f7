"""The leasing reports page: a server-rendered table over ``rollout.reports`` for admins and ops."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inbox.models import AgentProfile
from platforms.roles import user_role
from rollout.api.serializers import ReportParams
from rollout.reports import GROUPS, leasing_report


@require_GET
@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    """Show the report for the chosen period and grouping; bad parameters show the reason (400)."""
    if user_role(request.user) not in {"admin", "ops"}:  # type: ignore[arg-type]
        raise PermissionDenied("only admins and ops may read the leasing reports")
    # An empty form field means "not given", not an invalid value.
    params = ReportParams(data={k: v for k, v in request.GET.dict().items() if str(v).strip()})
    # Times in the reader's zone (their profile's, else the site's), always shown with its label.
    zone = AgentProfile.objects.filter(user_id=request.user.pk or 0).values_list("timezone", flat=True).first()
    context: dict[str, object] = {"groups": GROUPS, "query": request.GET, "zone": zone or settings.TIME_ZONE}
    if not params.is_valid():
        context["errors"] = params.errors
        return render(request, "rollout/reports.html", context, status=400)
    data = params.validated_data
    context["report"] = leasing_report(start=data["start"], end=data["end"], group_by=data["group_by"])
    context["start"], context["end"] = data["start"], data["end"]
    return render(request, "rollout/reports.html", context)
