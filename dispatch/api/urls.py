"""Routes of the dispatch app under /api/v1/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from dispatch.api import views

router = SimpleRouter()
router.register("outbound", views.OutboundViewSet, basename="outbound")
router.register("dead-letters", views.DeadLetterViewSet, basename="dead-letter")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
