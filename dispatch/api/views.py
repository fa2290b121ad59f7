"""The dead letters, and the two boards that show them beside the inbox: the review queue and health.

Agents see only rows of accounts they are granted (others answer 404); ops read; only
admins retry or discard. Every write is one call into ``dispatch.services``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch import services
from dispatch.api import selectors
from dispatch.api.serializers import (
    DeadLetterDiscardSerializer,
    DeadLetterSerializer,
    HealthSerializer,
    QueueFiguresSerializer,
)
from dispatch.choices import DeadLetterStatus, Stage
from dispatch.models import DeadLetter
from inbox.api import selectors as inbox_selectors
from inbox.api.outbox import GuardrailErrorSerializer
from inbox.api.serializers import QueueSerializer, ReviewCountsSerializer
from inbox.choices import ReasonCode
from platforms.api import selectors as platform_selectors
from platforms.api.params import choice_param, choices_param, id_or_none_param, int_param, text_param
from platforms.api.permissions import AnyRole, ReviewerRole, request_role, scope_to_accounts

ID_REGEX = r"[0-9]{1,18}"


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


class ReviewQueueView(APIView):
    """What waits for a human, most urgent first: guardrail holds, drafts, escalations, dead letters."""

    permission_classes = (ReviewerRole,)

    @extend_schema(
        parameters=[
            OpenApiParameter("platform", OpenApiTypes.STR),
            OpenApiParameter("account", OpenApiTypes.INT),
            OpenApiParameter(
                "unit", OpenApiTypes.STR, description="A unit id, or 'none' for conversations without one."
            ),
            OpenApiParameter("reason", OpenApiTypes.STR, description="A hold reason code (e.g. no_unit_linked)."),
        ],
        responses=QueueSerializer,
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        platform, account = text_param(request, "platform", max_length=32), int_param(request, "account")
        unit, reason = id_or_none_param(request, "unit"), choice_param(request, "reason", ReasonCode.values)
        queue = inbox_selectors.review_queue(user=user, platform=platform, account=account, unit=unit, reason=reason)
        letters = selectors.dead_letter_queue_items(
            user=user, platform=platform, account=account, unit=unit, reason=reason
        )
        return Response(QueueSerializer(inbox_selectors.queue_merge(queue, letters)).data)


class ReviewCountsView(APIView):
    """The badge: how much needs a human (and how much is mine), and the hold-to-answer times."""

    permission_classes = (ReviewerRole,)

    @extend_schema(responses=ReviewCountsSerializer)
    def get(self, request: Request) -> Response:
        user: Any = request.user
        counts = inbox_selectors.review_counts(user=user)
        letters = selectors.open_dead_letters(user=user)
        counts = {**counts, "dead_letters": letters, "needs_human": counts["needs_human"] + letters}
        return Response(ReviewCountsSerializer(counts).data)


class PlatformHealthView(APIView):
    """Per platform and account: last successes, errors, disable reason, circuit, dead letters, work waiting."""

    permission_classes = (AnyRole,)

    @extend_schema(responses=HealthSerializer(many=True))
    def get(self, request: Request) -> Response:
        user: Any = request.user
        letters = selectors.open_dead_letters_by_platform(user=user)
        health = platform_selectors.platform_health(user=user)
        work = selectors.work_by_platform(health)
        rows = [{**row, "open_dead_letters": letters.get(row["slug"], 0), **work[row["slug"]]} for row in health]
        return Response(HealthSerializer(rows, many=True).data)


class QueueHealthView(APIView):
    """The broker's queue depths and how many account jobs wait, and for how long (no renter data)."""

    permission_classes = (AnyRole,)

    @extend_schema(responses=QueueFiguresSerializer)
    def get(self, request: Request) -> Response:
        return Response(QueueFiguresSerializer(selectors.queue_figures()).data)
