"""The ``/api/v1/`` routes, gathered from each app's ``api/urls.py``."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
