"""The outbox over the API: drafts, held and sent replies; edit, approve (queued for the worker) or reject."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inbox import holds, services
from inbox.choices import OutboundStatus, ReasonCode
from inbox.holds import HoldReason
from inbox.models import OutboundMessage
from leasebot.core.fields import ReplyTextField, StrictCharField
from platforms.api.params import choices_param, int_param, text_param
from platforms.api.permissions import ReadAnyWriteReviewer, scope_to_accounts


def reason_for_display(reason: HoldReason) -> dict[str, str]:
    """A typed hold reason as the review UI shows it: a guardrail's category, or the code, with words."""
    if reason.code == ReasonCode.GUARDRAIL:
        return {"kind": "guardrail", "code": reason.category or str(reason.code), "text": reason.detail or reason.label}
    return {"kind": "hold", "code": str(reason.code), "text": reason.detail or reason.label}


class HoldReasonSerializer(serializers.Serializer[Any]):
    """A stored hold reason: its code, the category within it, the detail."""

    code = serializers.CharField()
    category = serializers.CharField()
    detail = serializers.CharField()


class ReasonSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["guardrail", "hold"])
    code = serializers.CharField()
    text = serializers.CharField()


class OutboundSerializer(serializers.ModelSerializer[OutboundMessage]):
    """A reply: its text, why it is held, and exactly where its delivery stands."""

    platform = serializers.CharField(source="account.platform.slug", read_only=True)
    account_label = serializers.CharField(source="account.label", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    reasons = serializers.SerializerMethodField()
    hold_reasons = HoldReasonSerializer(many=True, read_only=True)
    approved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    hold_to_answer_seconds = serializers.SerializerMethodField()

    class Meta:
        model = OutboundMessage
        fields = (
            "id",
            "conversation",
            "account",
            "account_label",
            "platform",
            "decision",
            "in_reply_to",
            "purpose",
            "source",
            "status",
            "status_label",
            "body",
            "original_body",
            "hold_reasons",
            "reasons",
            "shadow_would_send",
            "created_by",
            "approved_by",
            "approved_at",
            "rejected_reason",
            "queued_at",
            "sending_started_at",
            "sent_at",
            "platform_message_ref",
            "attempts",
            "outcome_evidence",
            "last_error_class",
            "last_error",
            "created_at",
            "updated_at",
            "hold_to_answer_seconds",
        )
        read_only_fields = fields

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, obj: OutboundMessage) -> list[dict[str, str]]:
        return [reason_for_display(r) for r in holds.load(obj.hold_reasons)]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_hold_to_answer_seconds(self, obj: OutboundMessage) -> int | None:
        """Seconds from the draft's creation (the hold) to a person's approval; None until answered."""
        if obj.approved_at is None or obj.source != "bot":
            return None
        return max(0, int((obj.approved_at - obj.created_at).total_seconds()))


class OutboundEditSerializer(serializers.Serializer[Any]):
    body = ReplyTextField(max_length=4000, allow_blank=False, trim_whitespace=True)


class OutboundApproveSerializer(serializers.Serializer[Any]):
    """Approve as is, or with a last edit of the text."""

    body = ReplyTextField(max_length=4000, required=False, allow_blank=False, trim_whitespace=True)
    version = serializers.CharField(
        max_length=160,
        required=False,
        help_text="The draft's version as shown (the queue item's `version`): refused with 409 if it changed since.",
    )


class OutboundResolveSerializer(serializers.Serializer[Any]):
    """A person's decision on an unknown outcome: it was sent (optionally: this message) or send it now."""

    sent = serializers.BooleanField()
    message_ref = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "sent" in data and not isinstance(data["sent"], bool):
            raise serializers.ValidationError({"sent": ["must be true or false"]})
        return super().to_internal_value(data)


class OutboundRejectSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=500, allow_blank=False, trim_whitespace=True)


class GuardrailErrorSerializer(serializers.Serializer[Any]):
    """A refused text: the message, the field and the guardrail reasons."""

    detail = serializers.CharField()
    code = serializers.CharField()
    field = serializers.CharField(required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)


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
        row = services.outbound_approve(
            outbound_id=row.pk,
            actor=request.user,
            body=data.validated_data.get("body"),
            version=data.validated_data.get("version"),
        )
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

    @extend_schema(request=OutboundResolveSerializer, responses={200: OutboundSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Settle an unknown outcome from the evidence: it was sent, or it was not and goes out now (once)."""
        row = self.get_object()
        data = OutboundResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.outbound_resolve_unknown(outbound_id=row.pk, actor=request.user, **data.validated_data)
        return Response(self.get_serializer(self._reload(row.pk)).data)

    def _reload(self, pk: int) -> OutboundMessage:
        return self.get_queryset().get(pk=pk)
