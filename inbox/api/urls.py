"""Routes of the inbox app under /api/v1/: conversations, the outbox and the review desk."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from inbox.api import outbox, triage, views

router = SimpleRouter()
router.register("conversations", views.ConversationViewSet, basename="conversation")
router.register("canned-replies", views.CannedReplyViewSet, basename="canned-reply")
router.register("outbound", outbox.OutboundViewSet, basename="outbound")

urlpatterns: list[URLPattern | URLResolver] = [
    path("guardrails/check/", views.GuardrailCheckView.as_view(), name="guardrail-check"),
    path("me/", views.MeView.as_view(), name="me"),
    path("review/bulk/", triage.ReviewBulkView.as_view(), name="review-bulk"),
    path("units/", views.UnitListView.as_view(), name="unit-list"),
    *router.urls,
]
