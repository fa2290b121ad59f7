"""The review queue's bulk actions: approve, reject or assign the selected items, each reported on its own."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inbox.models import Conversation, OutboundMessage
from inbox.services import triage
from leasebot.core.fields import StrictCharField
from platforms.api.permissions import ReviewerRole, scope_to_accounts


class BulkItemSerializer(serializers.Serializer[Any]):
    """An item as the queue showed it: its key and the version it had then."""

    key = serializers.RegexField(triage.KEY_RE, max_length=40)
    # A draft's version is three time stamps (the draft's, its conversation's, the renter's last message): ~100 characters.
    version = serializers.CharField(max_length=160)


class BulkRequestSerializer(serializers.Serializer[Any]):
    """What to do with which items: ``reason`` for a rejection, ``agent`` (or null: back to the unit's agent) for an assignment."""

    action = serializers.ChoiceField(choices=triage.ACTIONS)
    items = BulkItemSerializer(many=True, allow_empty=False)
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    agent = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] == triage.REJECT and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": ["say why the drafts are rejected"]})
        if attrs["action"] == triage.ASSIGN and "agent" not in self.initial_data:
            raise serializers.ValidationError({"agent": ["say who gets them (null: the unit's agent)"]})
        if len(attrs["items"]) > triage.MAX_ITEMS:
            raise serializers.ValidationError({"items": [f"at most {triage.MAX_ITEMS} items at once"]})
        keys = [item["key"] for item in attrs["items"]]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError({"items": ["an item is listed twice"]})
        return attrs


class BulkResultSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[triage.DONE, triage.SKIPPED])
    reason = serializers.CharField()
    renter_name = serializers.CharField()
    conversation = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()


class BulkResponseSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    done = serializers.IntegerField()
    skipped = serializers.IntegerField()
    results = BulkResultSerializer(many=True)


class ReviewBulkView(APIView):
    """Approve, reject or assign several queue items at once; each is checked and reported on its own.

    An item is acted on only if it is in the caller's accounts and still at the version the
    queue showed; any other is skipped with the reason, and the rest go ahead (200 with a
    result per item). Approvals go through the outbox's one door, so each is queued for the
    worker and sent at most once.
    """

    permission_classes = (ReviewerRole,)

    @extend_schema(
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer, 400: OpenApiResponse(description="Bad input, with the reason.")},
    )
    def post(self, request: Request) -> Response:
        data = BulkRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        items = triage.bulk_items_parse((i["key"], i["version"]) for i in params["items"])
        outbound_ids = [i.pk for i in items if i.kind == "outbound"]
        conversation_ids = [i.pk for i in items if i.kind == "conversation"]
        user = request.user
        visible_outbound = set(
            scope_to_accounts(OutboundMessage.objects.filter(pk__in=outbound_ids), user).values_list("pk", flat=True)
        )
        visible_conversations = set(
            scope_to_accounts(Conversation.objects.filter(pk__in=conversation_ids), user).values_list("pk", flat=True)
        )
        results = triage.review_bulk(
            actor=user,
            action=params["action"],
            items=items,
            visible_outbound=visible_outbound,
            visible_conversations=visible_conversations,
            reason=params["reason"],
            agent_id=params["agent"],
        )
        done = sum(1 for r in results if r.outcome == triage.DONE)
        body = {
            "action": params["action"],
            "done": done,
            "skipped": len(results) - done,
            "results": [r.as_dict() for r in results],
        }
        return Response(BulkResponseSerializer(body).data)
