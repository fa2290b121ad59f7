"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from leasebot.core.metrics import collect_text
from leasebot.core.redis import client as redis_client
from leasebot.gauges import DatabaseGauges


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


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Expose the Prometheus registry (counters from workers are mirrored through Redis)."""
    return HttpResponse(collect_text(DatabaseGauges()), content_type=CONTENT_TYPE_LATEST)


__all__ = ["generate_latest", "healthz", "metrics", "readyz"]
