"""Observability snapshot and leasing reports: admins and ops read, agents get 403."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from platforms.roles import user_role
from rollout.api.serializers import ReportParams, WindowParams
from rollout.observability import observability_snapshot
from rollout.reports import GROUPS, leasing_report

WINDOW_PARAMS = [
    OpenApiParameter("since", str, description="Start: ISO date or date-time."),
    OpenApiParameter("until", str, description="End (exclusive): ISO date (whole day) or date-time. Default now."),
    OpenApiParameter("hours", int, description="Instead of since/until: this many hours back from now."),
]


class AdminOrOps(BasePermission):
    """Admins and ops only: these figures span every account."""

    message = "only admins and ops may read operations figures"

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_role(request.user) in {"admin", "ops"}  # type: ignore[arg-type]


class ObservabilityView(APIView):
    """The ops snapshot: transitions, review queue, slot sources, linkage, dispatch outcomes."""

    permission_classes = (AdminOrOps,)

    @extend_schema(parameters=WINDOW_PARAMS, responses={200: dict})
    def get(self, request: Request) -> Response:
        params = WindowParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(observability_snapshot(start=params.validated_data["start"], end=params.validated_data["end"]))


class ReportsView(APIView):
    """Leasing report: first-reply speed (bot and human), the funnel and opt-outs, per group."""

    permission_classes = (AdminOrOps,)

    @extend_schema(
        parameters=[
            *WINDOW_PARAMS,
            OpenApiParameter("group_by", str, enum=list(GROUPS), description="Default platform."),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        params = ReportParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return Response(leasing_report(start=data["start"], end=data["end"], group_by=data["group_by"]))
