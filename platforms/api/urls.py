"""Routes of the platforms app under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from platforms.api import views

router = SimpleRouter()
router.register("platforms", views.PlatformViewSet, basename="platform")
router.register("platform-accounts", views.PlatformAccountViewSet, basename="platform-account")

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/", views.SettingsView.as_view(), name="settings"),
    *router.urls,
]
