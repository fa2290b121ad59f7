"""Routes of the dispatch app under /api/v1/: dead letters, the review queue and counts, health."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from dispatch.api import views

router = SimpleRouter()
router.register("dead-letters", views.DeadLetterViewSet, basename="dead-letter")

urlpatterns: list[URLPattern | URLResolver] = [
    path("review/queue/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("review/counts/", views.ReviewCountsView.as_view(), name="review-counts"),
    path("health/platforms/", views.PlatformHealthView.as_view(), name="health-platforms"),
    path("health/queues/", views.QueueHealthView.as_view(), name="health-queues"),
    *router.urls,
]
