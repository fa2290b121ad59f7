"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from leasebot.core.metrics import collect_text
from leasebot.core.redis import client as redis_client
from leasebot.gauges import DatabaseGauges
from platforms.roles import user_role

#: The roles that may read /metrics in a browser (the same who see the observability API).
METRICS_ROLES = frozenset({"admin", "ops"})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer that the process lives; depends on no platform, browser or service."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer 200 only when the database and Redis both answer."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the class name is the reason.
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis_client().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001 - as above.
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def _bearer_matches(request: HttpRequest) -> bool:
    """Return whether the request carries ``LEASEBOT_METRICS_TOKEN`` as its bearer token (unset: never)."""
    expected = settings.LEASEBOT_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Expose the Prometheus registry (counters from workers are mirrored through Redis).

    Only to Prometheus with the bearer token, or to a signed-in admin or ops user: the
    figures say which accounts fail, how deep the queues are and when the fleet is idle.
    """
    if not _bearer_matches(request):
        user = request.user
        if not user.is_authenticated:
            response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="lease-bot metrics"'
            return response
        if user_role(user) not in METRICS_ROLES:
            return HttpResponse("admin or ops role required\n", status=403, content_type="text/plain")
    return HttpResponse(collect_text(DatabaseGauges()), content_type=CONTENT_TYPE_LATEST)


__all__ = ["generate_latest", "healthz", "metrics", "readyz"]
