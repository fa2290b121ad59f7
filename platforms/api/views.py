"""Platforms, accounts and global settings (health is served by dispatch.api, /me by inbox.api).

Every write goes through ``platforms.services`` (which audits); views only parse,
scope and present.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from platforms import services
from platforms.api.permissions import AnyRole, ReadAnyWriteAdmin, request_role
from platforms.api.serializers import (
    BotSettingsSerializer,
    BotSettingsUpdateSerializer,
    PlatformAccountPolicySerializer,
    PlatformAccountSerializer,
    PlatformSerializer,
    PlatformToggleSerializer,
)
from platforms.models import BotSettings, Platform, PlatformAccount
from platforms.roles import accounts_for_user


class PlatformViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Platform]):
    """The five platforms; admins switch one on or off (every account on it follows)."""

    permission_classes = (ReadAnyWriteAdmin,)
    serializer_class = PlatformSerializer
    queryset = Platform.objects.order_by("slug")
    pagination_class = None
    lookup_value_regex = r"[0-9]{1,18}"

    @extend_schema(request=PlatformToggleSerializer, responses=PlatformSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        platform = self.get_object()
        data = PlatformToggleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        platform = services.platform_set_active(
            platform_id=platform.pk,
            is_active=data.validated_data["is_active"],
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(PlatformSerializer(platform).data)


class PlatformAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[PlatformAccount]
):
    """Accounts the caller may see; admins change ``is_active``, ``send_mode`` and ``is_canary``.

    Filters: ``platform`` (slug).
    """

    permission_classes = (AnyRole,)
    serializer_class = PlatformAccountSerializer
    pagination_class = None
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[PlatformAccount]:
        qs = accounts_for_user(self.request.user).select_related("platform").order_by("platform__slug", "label")  # type: ignore[arg-type]
        platform = self.request.query_params.get("platform")
        if platform:
            qs = qs.filter(platform__slug=platform)
        return qs

    @extend_schema(request=PlatformAccountPolicySerializer, responses=PlatformAccountSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()  # Out of scope: 404 before any role check.
        if request_role(request) != "admin":
            raise PermissionDenied("only admins change an account's switch or send mode")
        data = PlatformAccountPolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes: dict[str, Any] = {k: v for k, v in data.validated_data.items() if k != "reason"}
        account = services.account_update_policy(
            account_id=account.pk, actor=request.user, reason=data.validated_data["reason"], **changes
        )
        return Response(PlatformAccountSerializer(account).data)


class SettingsView(APIView):
    """The global send mode and rollout stage: every role reads, admins change."""

    permission_classes = (ReadAnyWriteAdmin,)

    @extend_schema(responses=BotSettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(BotSettingsSerializer(BotSettings.load()).data)

    @extend_schema(request=BotSettingsUpdateSerializer, responses=BotSettingsSerializer)
    def patch(self, request: Request) -> Response:
        data = BotSettingsUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        BotSettings.load()  # The row exists from the migration; this only guards a wiped table.
        row = services.settings_update(actor=request.user, **data.validated_data)
        return Response(BotSettingsSerializer(row).data)
