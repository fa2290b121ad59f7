"""The ``/api/v1/`` routes, gathered from each app's ``api/urls.py``."""

from django.urls import include, path

urlpatterns = [
    path("", include("platforms.api.urls")),
    path("", include("inbox.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("rollout.api.urls")),
]
