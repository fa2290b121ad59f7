"""Routes of the inbox app under /api/v1/: conversations and the review desk."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from inbox.api import views

router = SimpleRouter()
router.register("conversations", views.ConversationViewSet, basename="conversation")
router.register("canned-replies", views.CannedReplyViewSet, basename="canned-reply")

urlpatterns: list[URLPattern | URLResolver] = [
    path("guardrails/check/", views.GuardrailCheckView.as_view(), name="guardrail-check"),
    path("review/queue/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("review/counts/", views.ReviewCountsView.as_view(), name="review-counts"),
    *router.urls,
]
