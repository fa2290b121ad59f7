"""The OpenAPI schema generates without warnings or errors and covers the review endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/conversations/{id}/reply/",
        "/api/v1/outbound/{id}/approve/",
        "/api/v1/platform-accounts/{id}/",
        "/api/v1/settings/",
        "/api/v1/health/platforms/",
        "/api/v1/health/queues/",
        "/api/v1/dead-letters/{id}/retry/",
        "/api/v1/guardrails/check/",
        "/api/v1/review/queue/",
    ):
        assert path in text
    assert "Idempotency-Key" in text


def test_schema_and_docs_served(client: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
