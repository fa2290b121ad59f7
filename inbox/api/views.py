"""Conversations, manual replies, takeover, notes, assignment, canned replies, the review queue.

Admins and agents use these (agents only within the accounts they are granted: anything
else is 404); ops have no business in renters' conversations and get 403.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from inbox import services
from inbox.api import selectors
from inbox.api.outbox import GuardrailErrorSerializer, OutboundSerializer
from inbox.api.serializers import (
    AgentSerializer,
    AssignSerializer,
    CannedReplyPatchSerializer,
    CannedReplySerializer,
    CannedReplyWriteSerializer,
    ConversationDetailSerializer,
    ConversationListSerializer,
    FollowUpsSerializer,
    GuardrailCheckSerializer,
    GuardrailVerdictSerializer,
    LeadSerializer,
    LinkUnitSerializer,
    NoteSerializer,
    QualificationSerializer,
    ReplySerializer,
    ResolveSerializer,
    ShowingBookSerializer,
    ShowingCancelSerializer,
    ShowingChangeSerializer,
    ShowingOutcomeSerializer,
    ShowingRescheduleSerializer,
    ShowingSerializer,
    SlotOptionSerializer,
    SnoozeSerializer,
    SuggestedReplySerializer,
    UnitOptionSerializer,
)
from inbox.choices import ConversationStatus, ReasonCode, WorkflowOutcome
from inbox.guardrails import check_text
from inbox.models import CannedReply, Conversation, OutboundMessage, Showing
from inbox.services.showing_notice import ShowingChange, showing_suggested_reply
from platforms.api.params import bool_param, choice_param, choices_param, id_or_none_param, int_param, text_param
from platforms.api.permissions import AnyRole, ReviewerRole, request_role
from platforms.api.serializers import MeSerializer
from platforms.models import Platform, PlatformAccount

ID_REGEX = r"[0-9]{1,18}"


class ConversationPagination(PageNumberPagination):
    """Pages of 25 with a bounded count: counting stops at ``COUNT_CAP`` matches.

    An exact count reads every matching row; a search for a word found in nearly every
    message would read them all (docs/performance.md). So the count runs over a LIMITed
    subquery (``COUNT_CAP + 1`` rows) and answers ``count: 1000, count_capped: true`` past
    the cap ("1,000+", as mail inboxes show), and the page itself fetches one row more than
    it shows to know whether a next page exists. At most two queries, whatever the size
    (one when the first page holds every match).
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    COUNT_CAP = 1000

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = self._request = request
        size = self.get_page_size(request) or self.page_size
        raw = request.query_params.get(self.page_query_param, "1")
        if not re.fullmatch(r"[0-9]{1,7}", raw) or int(raw) < 1:
            raise NotFound("Invalid page: use a whole number from 1.")
        self.number = int(raw)
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        if not rows and self.number > 1:
            raise NotFound("Invalid page: there are fewer conversations than that.")
        if self.number == 1 and not self.has_next:
            self.count, self.capped = len(rows), False  # The whole answer is on this page: no count query.
        else:
            # The first COUNT_CAP + 1 rows in list order: PostgreSQL may walk the last-activity
            # index, probing each conversation's messages, and stop there.
            found = queryset.values("pk")[: self.COUNT_CAP + 1].count()
            self.count, self.capped = min(found, self.COUNT_CAP), found > self.COUNT_CAP
        return rows

    def _link(self, number: int) -> str | None:
        url = self._request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_capped": self.capped,
                "next": self._link(self.number + 1) if self.has_next else None,
                "previous": self._link(self.number - 1) if self.number > 1 else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["required"] = ["count", "count_capped", "results"]
        out["properties"]["count"]["description"] = f"Matches, counted up to {self.COUNT_CAP:,}."
        out["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when there are more matches than the count says (show '1,000+').",
        }
        return out


_CONVERSATION_FILTERS = [
    OpenApiParameter("platform", OpenApiTypes.STR, description="Platform slug."),
    OpenApiParameter("account", OpenApiTypes.INT),
    OpenApiParameter("status", OpenApiTypes.STR, description="Workflow outcomes, comma-separated (new, engaged, ...)."),
    OpenApiParameter("human_required", OpenApiTypes.BOOL),
    OpenApiParameter("taken_over", OpenApiTypes.BOOL),
    OpenApiParameter(
        "assigned",
        OpenApiTypes.STR,
        description="'me': assigned to me (or by default through the unit); 'none': no agent at all.",
    ),
    OpenApiParameter(
        "waiting_on_renter",
        OpenApiTypes.BOOL,
        description="true: our side wrote last and nothing waits for a person (no hold, no draft).",
    ),
    OpenApiParameter("search", OpenApiTypes.STR, description="Renter, thread, unit, listing or message text."),
    OpenApiParameter(
        "conversation_status",
        OpenApiTypes.STR,
        description="The agents' status now: open (a snooze that ran out counts), snoozed, resolved.",
    ),
    OpenApiParameter("unit", OpenApiTypes.STR, description="A unit id, or 'none' for conversations without one."),
    OpenApiParameter("reason", OpenApiTypes.STR, description="A hold reason code (escalation or waiting reply)."),
]
_IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="1-100 characters; the same key returns the same reply, the same key with another body is 409.",
)
_REFUSED = {
    400: OpenApiResponse(GuardrailErrorSerializer, description="Invalid input or a guardrail flag (with reasons)."),
    409: OpenApiResponse(GuardrailErrorSerializer, description="Refused by state or policy, or a reused key."),
}


@extend_schema_view(list=extend_schema(parameters=_CONVERSATION_FILTERS))
class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Conversation]):
    """Conversations the caller may work on, with the thread and what the bot made of it."""

    permission_classes = (ReviewerRole,)
    pagination_class = ConversationPagination
    lookup_value_regex = ID_REGEX

    def get_serializer_class(self) -> Any:
        return ConversationDetailSerializer if self.action == "retrieve" else ConversationListSerializer

    def get_queryset(self) -> QuerySet[Conversation]:
        qs = selectors.conversations_for_user(self.request.user)  # type: ignore[arg-type]
        if self.action != "list":
            return qs
        assigned = text_param(self.request, "assigned", max_length=10)
        if assigned not in {"", "me", "none"}:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"assigned": ["use 'me' or 'none'"]})
        return selectors.conversation_filter(
            qs,
            user=self.request.user,  # type: ignore[arg-type]
            platform=text_param(self.request, "platform", max_length=32),
            account=int_param(self.request, "account"),
            statuses=choices_param(self.request, "status", WorkflowOutcome.values),
            human_required=bool_param(self.request, "human_required"),
            taken_over=bool_param(self.request, "taken_over"),
            mine=assigned == "me",
            unassigned=assigned == "none",
            waiting_on_renter=bool_param(self.request, "waiting_on_renter"),
            search=text_param(self.request, "search", max_length=200),
            conversation_status=choice_param(self.request, "conversation_status", ConversationStatus.values),
            unit=id_or_none_param(self.request, "unit"),
            reason=choice_param(self.request, "reason", ReasonCode.values),
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            conversation = selectors.conversation_detail(user=request.user, conversation_id=int(kwargs["pk"]))  # type: ignore[arg-type]
        except Conversation.DoesNotExist:
            raise NotFound("no such conversation") from None
        return Response(ConversationDetailSerializer(conversation).data)

    def _conversation(self) -> Conversation:
        return self.get_object()

    @extend_schema(
        request=ReplySerializer,
        parameters=[_IDEMPOTENCY],
        responses={201: OutboundSerializer, 200: OutboundSerializer, **_REFUSED},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        """Queue the agent's own reply (guardrails on the server); 201 when new, 200 for a repeated key."""
        conversation = self._conversation()
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, created = services.outbound_reply_manual(
            conversation=conversation,
            actor=request.user,
            body=data.validated_data["body"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        row = OutboundMessage.objects.select_related("account__platform", "approved_by", "created_by").get(pk=row.pk)
        return Response(OutboundSerializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: ConversationListSerializer, 409: GuardrailErrorSerializer})
    @action(detail=True, methods=["post"], url_path="take-over")
    def take_over(self, request: Request, pk: str | None = None) -> Response:
        """Take the conversation over: the bot stays silent here until it is handed back."""
        conversation = self._conversation()
        services.conversation_take_over(conversation_id=conversation.pk, agent=request.user)
        return Response(ConversationListSerializer(self.get_queryset().get(pk=conversation.pk)).data)

    @extend_schema(request=None, responses={200: ConversationListSerializer, 409: GuardrailErrorSerializer})
    @action(detail=True, methods=["post"], url_path="hand-back")
    def hand_back(self, request: Request, pk: str | None = None) -> Response:
        """Give the conversation back to the bot."""
        conversation = self._conversation()
        services.conversation_hand_back(conversation_id=conversation.pk, agent=request.user)
        return Response(ConversationListSerializer(self.get_queryset().get(pk=conversation.pk)).data)

    @extend_schema(methods=["GET"], responses=NoteSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=NoteSerializer, responses={201: NoteSerializer, 400: GuardrailErrorSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def notes(self, request: Request, pk: str | None = None) -> Response:
        """Private notes of the team on this conversation (never sent)."""
        conversation = self._conversation()
        if request.method == "GET":
            return Response(
                NoteSerializer(conversation.notes.select_related("author").order_by("created_at", "id"), many=True).data
            )
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.note_create(conversation=conversation, actor=request.user, body=data.validated_data["body"])
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssignSerializer, responses={200: ConversationListSerializer, 400: GuardrailErrorSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Give the conversation to an agent granted its account (null: back to the unit's primary agent)."""
        conversation = self._conversation()
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.conversation_assign(
            conversation_id=conversation.pk, actor=request.user, agent_id=data.validated_data["agent"]
        )
        return Response(ConversationListSerializer(self.get_queryset().get(pk=conversation.pk)).data)

    def _row(self, conversation: Conversation) -> Response:
        return Response(ConversationListSerializer(self.get_queryset().get(pk=conversation.pk)).data)

    @extend_schema(request=ResolveSerializer, responses={200: ConversationListSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Mark the conversation done (its escalation cleared); the renter's next message reopens it."""
        conversation = self._conversation()
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.conversation_resolve(
            conversation_id=conversation.pk, actor=request.user, reason=data.validated_data["reason"]
        )
        return self._row(conversation)

    @extend_schema(request=SnoozeSerializer, responses={200: ConversationListSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str | None = None) -> Response:
        """Hide the conversation from the working tabs and the queue until a time, or until the renter writes."""
        conversation = self._conversation()
        data = SnoozeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.conversation_snooze(
            conversation_id=conversation.pk,
            actor=request.user,
            until=data.validated_data["until"],
            reason=data.validated_data["reason"],
        )
        return self._row(conversation)

    @extend_schema(request=ResolveSerializer, responses={200: ConversationListSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """Open a resolved or snoozed conversation again."""
        conversation = self._conversation()
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.conversation_reopen(
            conversation_id=conversation.pk, actor=request.user, reason=data.validated_data["reason"]
        )
        return self._row(conversation)

    @extend_schema(request=LinkUnitSerializer, responses={200: ConversationListSerializer, **_REFUSED})
    @action(detail=True, methods=["post"], url_path="link-unit")
    def link_unit(self, request: Request, pk: str | None = None) -> Response:
        """Link the conversation to a unit (or unlink it with null); audited."""
        conversation = self._conversation()
        data = LinkUnitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.conversation_link_unit(
            conversation_id=conversation.pk, actor=request.user, unit_id=data.validated_data["unit"]
        )
        return self._row(conversation)

    @extend_schema(responses=UnitOptionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def units(self, request: Request, pk: str | None = None) -> Response:
        """The units this conversation can be linked to (active listings), those of its listing first."""
        conversation = self._conversation()
        return Response(UnitOptionSerializer(selectors.unit_options(conversation), many=True).data)

    @staticmethod
    def _showing(conversation: Conversation, showing_id: int) -> Showing:
        showing = conversation.showings.filter(pk=showing_id).first()
        if showing is None:
            raise NotFound("no such showing in this conversation")
        return showing

    @staticmethod
    def _showing_row(showing: Showing, *, code: int = status.HTTP_200_OK) -> Response:
        return Response(ShowingSerializer(Showing.objects.select_related("agent").get(pk=showing.pk)).data, status=code)

    @staticmethod
    def _showing_change(showing: Showing, change: ShowingChange, *, code: int = status.HTTP_200_OK) -> Response:
        """The showing as it now is, with the message the page suggests for the renter (nothing is sent)."""
        row = Showing.objects.select_related("agent", "unit__listing").get(pk=showing.pk)
        suggestion = showing_suggested_reply(row, change=change)
        reply = SuggestedReplySerializer(dataclasses.asdict(suggestion.reply)).data if suggestion.reply else None
        data = {**ShowingSerializer(row).data, "suggested_reply": reply, "suggested_reply_note": suggestion.note}
        return Response(data, status=code)

    @extend_schema(
        request=ShowingOutcomeSerializer,
        responses={200: ShowingSerializer, 404: GuardrailErrorSerializer, **_REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="showing-outcome")
    def showing_outcome(self, request: Request, pk: str | None = None) -> Response:
        """Mark a booked showing completed or no-show once it has started (400 before; 409 once not booked)."""
        conversation = self._conversation()
        data = ShowingOutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        showing = self._showing(conversation, data.validated_data["showing"])
        showing = services.showing_mark_outcome(
            showing_id=showing.pk, outcome=data.validated_data["outcome"], actor=request.user, by="agent"
        )
        return self._showing_row(showing)

    @extend_schema(responses=SlotOptionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def slots(self, request: Request, pk: str | None = None) -> Response:
        """The free times the renter can be shown the linked unit now (none without a unit)."""
        conversation = self._conversation()
        return Response(SlotOptionSerializer(selectors.slot_options(conversation), many=True).data)

    @extend_schema(request=ShowingBookSerializer, responses={201: ShowingChangeSerializer, **_REFUSED})
    @action(detail=True, methods=["post"], url_path="book-showing")
    def book_showing(self, request: Request, pk: str | None = None) -> Response:
        """Book a free time from ``slots/``, with a message for the renter; 409 with the reason when it was taken or a showing is booked already."""
        conversation = self._conversation()
        data = ShowingBookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        showing = services.showing_book_at(
            conversation_id=conversation.pk,
            starts_at=data.validated_data["starts_at"],
            agent_id=data.validated_data["agent"],
            actor=request.user,
        )
        return self._showing_change(showing, ShowingChange.BOOKED, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ShowingRescheduleSerializer,
        responses={200: ShowingChangeSerializer, 404: GuardrailErrorSerializer, **_REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="reschedule-showing")
    def reschedule_showing(self, request: Request, pk: str | None = None) -> Response:
        """Move a booked showing to a free time, with a message for the renter (the old one stays if the new one is refused)."""
        conversation = self._conversation()
        data = ShowingRescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        showing = self._showing(conversation, data.validated_data["showing"])
        moved = services.showing_book_at(
            conversation_id=conversation.pk,
            starts_at=data.validated_data["starts_at"],
            agent_id=data.validated_data["agent"],
            actor=request.user,
            replacing=showing.pk,
        )
        return self._showing_change(moved, ShowingChange.RESCHEDULED)

    @extend_schema(
        request=ShowingCancelSerializer,
        responses={200: ShowingChangeSerializer, 404: GuardrailErrorSerializer, **_REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="cancel-showing")
    def cancel_showing(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a booked showing, with a message for the renter; 409 saying what it is now when it is no longer booked."""
        conversation = self._conversation()
        data = ShowingCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        showing = self._showing(conversation, data.validated_data["showing"])
        showing = services.showing_cancel(
            showing_id=showing.pk,
            actor=request.user,
            reason=data.validated_data["reason"] or f"by {request.user.get_username()}",
            strict=True,
        )
        return self._showing_change(showing, ShowingChange.CANCELLED)

    @extend_schema(request=QualificationSerializer, responses={200: LeadSerializer, **_REFUSED})
    @action(detail=True, methods=["post"])
    def qualification(self, request: Request, pk: str | None = None) -> Response:
        """Correct or complete the renter's qualification answers; 409 when one changed since the page saw it."""
        conversation = self._conversation()
        data = QualificationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = services.lead_qualification_edit(
            conversation_id=conversation.pk,
            actor=request.user,
            changes=data.validated_data["changes"],
            seen=data.validated_data["seen"],
        )
        return Response(LeadSerializer(conversation).data)

    @extend_schema(request=FollowUpsSerializer, responses={200: LeadSerializer, **_REFUSED})
    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_ups(self, request: Request, pk: str | None = None) -> Response:
        """Pause or resume the bot's follow-ups here; 409 when they already are as asked."""
        conversation = self._conversation()
        data = FollowUpsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = services.conversation_follow_ups_pause(
            conversation_id=conversation.pk, actor=request.user, paused=data.validated_data["paused"]
        )
        return Response(LeadSerializer(conversation).data)

    @extend_schema(responses=AgentSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def agents(self, request: Request, pk: str | None = None) -> Response:
        """The agents this conversation can be assigned to."""
        conversation = self._conversation()
        return Response(AgentSerializer(services.assignable_agents(conversation.account), many=True).data)


class GuardrailCheckView(APIView):
    """Live feedback for the reply editor: the same check the server runs before queuing or sending."""

    permission_classes = (ReviewerRole,)

    @extend_schema(request=GuardrailCheckSerializer, responses={200: GuardrailVerdictSerializer})
    def post(self, request: Request) -> Response:
        data = GuardrailCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inbound = ""
        conversation_id = data.validated_data.get("conversation")
        if conversation_id is not None:
            conversation = selectors.conversations_for_user(request.user).filter(pk=conversation_id).first()  # type: ignore[arg-type]
            if conversation is None:
                raise NotFound("no such conversation")
            inbound = conversation.last_inbound_body or ""  # type: ignore[attr-defined]
        result = check_text(data.validated_data["text"], inbound_text=inbound)
        flags = [{"category": f.category, "reason": f.reason, "excerpt": f.excerpt} for f in result.flags]
        return Response({"ok": result.ok, "flags": flags})


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("account", OpenApiTypes.INT)]))
class CannedReplyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[CannedReply]
):
    """Ready-made answers: admins and agents read those in scope; admins write."""

    permission_classes = (ReviewerRole,)
    serializer_class = CannedReplySerializer
    pagination_class = None
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[CannedReply]:
        admin = request_role(self.request) == "admin"
        account = int_param(self.request, "account") if self.action == "list" else None
        return selectors.canned_replies_for_user(self.request.user, account=account, include_inactive=admin)  # type: ignore[arg-type]

    def _require_admin(self) -> None:
        if request_role(self.request) != "admin":
            raise PermissionDenied("only admins change canned replies")

    @extend_schema(request=CannedReplyWriteSerializer, responses={201: CannedReplySerializer, **_REFUSED})
    def create(self, request: Request) -> Response:
        self._require_admin()
        data = CannedReplyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = None
        account_id = data.validated_data.get("account")
        if account_id is not None:
            account = PlatformAccount.objects.filter(pk=account_id).first()
            if account is None:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"account": ["no such account"]})
        platform = None
        if data.validated_data["platform"]:
            platform = Platform.objects.filter(slug=data.validated_data["platform"]).first()
            if platform is None:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"platform": ["no such platform"]})
        row = services.canned_reply_create(
            actor=request.user,
            title=data.validated_data["title"],
            body=data.validated_data["body"],
            account=account,
            platform=platform,
        )
        return Response(CannedReplySerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CannedReplyPatchSerializer, responses={200: CannedReplySerializer, **_REFUSED})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        row = self.get_object()
        self._require_admin()
        data = CannedReplyPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.canned_reply_update(canned_reply_id=row.pk, actor=request.user, **data.validated_data)
        return Response(CannedReplySerializer(row).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        self._require_admin()
        services.canned_reply_delete(canned_reply_id=row.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnitListView(APIView):
    """The units of active listings, for the unit filters of the queue and the conversation list."""

    permission_classes = (ReviewerRole,)

    @extend_schema(responses=UnitOptionSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(UnitOptionSerializer(selectors.active_units(), many=True).data)


class MeView(APIView):
    """The caller's name, role and display time zone (the UI shows times in it)."""

    permission_classes = (AnyRole,)

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(selectors.user_profile(user=request.user)).data)  # type: ignore[arg-type]
