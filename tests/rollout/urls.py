"""The project's URLs plus the reports page, as the root URLconf will include it (``reports/``)."""

from django.urls import include, path

from leasebot.urls import urlpatterns as project_urls

urlpatterns = [path("reports/", include("rollout.urls")), *project_urls]
