"""The outbox (drafts and sent replies) and the dead letters.

Agents see only rows of accounts they are granted (others answer 404); ops read; only
admins retry or discard a dead letter. Every write is one call into ``dispatch.services``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from dispatch import services
from dispatch.api.serializers import (
    DeadLetterDiscardSerializer,
    DeadLetterSerializer,
    GuardrailErrorSerializer,
    OutboundApproveSerializer,
    OutboundEditSerializer,
    OutboundRejectSerializer,
    OutboundSerializer,
)
from dispatch.choices import DeadLetterStatus, Stage
from dispatch.models import DeadLetter
from inbox.choices import OutboundStatus
from inbox.models import OutboundMessage
from platforms.api.params import choices_param, int_param, text_param
from platforms.api.permissions import AnyRole, ReadAnyWriteReviewer, request_role, scope_to_accounts

ID_REGEX = r"[0-9]{1,18}"

_OUTBOUND_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="Comma-separated statuses, e.g. draft,pending_review."),
    OpenApiParameter("conversation", OpenApiTypes.INT),
    OpenApiParameter("account", OpenApiTypes.INT),
    OpenApiParameter("platform", OpenApiTypes.STR, description="Platform slug."),
]
_REFUSED = {
    400: OpenApiResponse(GuardrailErrorSerializer, description="Invalid text or a guardrail flag (with reasons)."),
    409: OpenApiResponse(
        GuardrailErrorSerializer, description="Not in a reviewable state, or the account may not send."
    ),
}


@extend_schema_view(list=extend_schema(parameters=_OUTBOUND_FILTERS))
class OutboundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[OutboundMessage]):
    """Drafts, held replies and sent replies; edit, approve (queues through dispatch) or reject."""

    permission_classes = (ReadAnyWriteReviewer,)
    serializer_class = OutboundSerializer
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[OutboundMessage]:
        qs = OutboundMessage.objects.select_related("account__platform", "approved_by", "created_by").order_by(
            "-created_at", "-id"
        )
        qs = scope_to_accounts(qs, self.request.user)
        if self.action != "list":
            return qs
        statuses = choices_param(self.request, "status", OutboundStatus.values)
        if statuses:
            qs = qs.filter(status__in=statuses)
        for name in ("conversation", "account"):
            value = int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        platform = text_param(self.request, "platform", max_length=32)
        if platform:
            qs = qs.filter(account__platform__slug=platform)
        return qs

    @extend_schema(request=OutboundEditSerializer, responses={200: OutboundSerializer, **_REFUSED})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        row = self.get_object()
        data = OutboundEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.outbound_edit(outbound_id=row.pk, actor=request.user, body=data.validated_data["body"])
        return Response(self.get_serializer(self._reload(row.pk)).data)

    @extend_schema(request=OutboundApproveSerializer, responses={200: OutboundSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a draft (optionally with a last edit): it goes to ``queued``, never straight to ``sent``."""
        row = self.get_object()
        data = OutboundApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.outbound_approve(outbound_id=row.pk, actor=request.user, body=data.validated_data.get("body"))
        return Response(self.get_serializer(self._reload(row.pk)).data)

    @extend_schema(request=OutboundRejectSerializer, responses={200: OutboundSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Drop a draft for good, with the reason."""
        row = self.get_object()
        data = OutboundRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.outbound_reject(outbound_id=row.pk, actor=request.user, reason=data.validated_data["reason"])
        return Response(self.get_serializer(self._reload(row.pk)).data)

    def _reload(self, pk: int) -> OutboundMessage:
        return self.get_queryset().get(pk=pk)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="open, retried or discarded (comma-separated)."),
            OpenApiParameter("stage", OpenApiTypes.STR),
            OpenApiParameter("account", OpenApiTypes.INT),
            OpenApiParameter("platform", OpenApiTypes.STR),
        ]
    )
)
class DeadLetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[DeadLetter]):
    """Jobs that gave up; admins retry them (the same idempotent path) or discard them."""

    permission_classes = (AnyRole,)
    serializer_class = DeadLetterSerializer
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[DeadLetter]:
        qs = DeadLetter.objects.select_related("account", "outbound", "retried_by").order_by("-created_at", "-id")
        qs = scope_to_accounts(qs, self.request.user)
        if self.action != "list":
            return qs
        statuses = choices_param(self.request, "status", DeadLetterStatus.values)
        if statuses:
            qs = qs.filter(status__in=statuses)
        stages = choices_param(self.request, "stage", Stage.values)
        if stages:
            qs = qs.filter(stage__in=stages)
        account = int_param(self.request, "account")
        if account is not None:
            qs = qs.filter(account_id=account)
        platform = text_param(self.request, "platform", max_length=32)
        if platform:
            qs = qs.filter(platform=platform)
        return qs

    def _admin_object(self) -> DeadLetter:
        letter = self.get_object()  # Out of scope: 404 first.
        if request_role(self.request) != "admin":
            raise PermissionDenied("only admins retry or discard dead letters")
        return letter

    @extend_schema(request=None, responses={200: DeadLetterSerializer, 409: GuardrailErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Put the job back on its idempotent path (a dead outbound is queued again)."""
        letter = self._admin_object()
        services.deadletter_retry(deadletter_id=letter.pk, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=letter.pk)).data)

    @extend_schema(
        request=DeadLetterDiscardSerializer, responses={200: DeadLetterSerializer, 409: GuardrailErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Close the dead letter without retrying, with the reason."""
        letter = self._admin_object()
        data = DeadLetterDiscardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.deadletter_discard(deadletter_id=letter.pk, actor=request.user, reason=data.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=letter.pk)).data)
