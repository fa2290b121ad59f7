"""Issue 18: ``/metrics`` is not for anonymous visitors.

Before: anyone who could reach the site read which accounts fail, how deep the queues are and
when the fleet is idle. Now Prometheus sends ``LEASEBOT_METRICS_TOKEN`` as a bearer token
(docs/alerts/prometheus.yml), and a signed-in admin or ops user may read it in a browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789abcdef"
SCRAPE_CONFIG = Path(__file__).resolve().parents[2] / "docs" / "alerts" / "prometheus.yml"


@pytest.fixture(autouse=True)
def _token(settings: Any) -> None:
    settings.LEASEBOT_METRICS_TOKEN = TOKEN


def test_anonymous_gets_401_with_a_bearer_challenge() -> None:
    response = Client().get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"leasebot_" not in response.content


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}"])
def test_a_wrong_token_or_scheme_gets_401(header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get("/metrics")
    assert response.status_code == 401


def test_no_token_is_accepted_when_none_is_configured(settings: Any) -> None:
    settings.LEASEBOT_METRICS_TOKEN = ""
    assert Client(HTTP_AUTHORIZATION="Bearer ").get("/metrics").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer").get("/metrics").status_code == 401


def test_prometheus_with_the_token_reads_the_metrics() -> None:
    response = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/metrics")
    assert response.status_code == 200
    assert b"leasebot_" in response.content
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("ops", 200), ("agent", 403), ("", 403)])
def test_signed_in_users_by_role(role: str, status: int) -> None:
    client = Client()
    client.force_login(UserFactory(username=f"metrics-{role or 'norole'}", **({"role": role} if role else {})))
    assert client.get("/metrics").status_code == status


def test_the_scrape_config_in_the_repo_sends_a_bearer_token_from_a_file() -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "leasebot"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    assert job["authorization"]["credentials_file"]
    assert "credentials" not in job["authorization"]  # Never the token itself in the repository.
    assert config["rule_files"] == ["prometheus-rules.yml"]
    assert (SCRAPE_CONFIG.parent / "prometheus-rules.yml").exists()
