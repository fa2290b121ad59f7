"""Pages of the rollout app (include under ``reports/`` in the root URLconf)."""

from django.urls import URLPattern, URLResolver, path

from rollout import views

app_name = "rollout"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.reports_page, name="reports"),
]
