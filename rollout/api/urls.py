"""Routes of this app under /api/v1/ (filled as its endpoints land)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
