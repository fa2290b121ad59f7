"""Routes of the rollout app under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from rollout.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("observability/", views.ObservabilityView.as_view(), name="observability"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
]
