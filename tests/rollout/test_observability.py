"""The /api/v1/observability/ snapshot and /metrics report the right numbers for a known scenario."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.support import scrape_metrics

pytestmark = pytest.mark.django_db

URL = "/api/v1/observability/"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_snapshot_reports_the_scenario(ops_scenario, ops_user):
    # when
    response = _client(ops_user).get(URL, {"hours": 2})
    # then
    assert response.status_code == 200, response.content
    data = response.json()
    dispatch = data["dispatch"]
    assert dispatch["by_platform"]["spareroom"] == {"send": {"success": 3, "retry": 1}}
    assert dispatch["by_platform"]["roomies"] == {"send": {"fail": 1}, "ingest": {"success": 1, "fail": 1}}
    by_rollout = {(r["platform"], r["stage"], r["outcome"]): r["rollout_stage"] for r in dispatch["rows"]}
    assert by_rollout[("spareroom", "send", "success")] == "shadow"
    assert by_rollout[("roomies", "send", "fail")] == "canary"
    queue = data["human_review_queue"]
    assert (queue["depth"], queue["drafts"], queue["pending_review"]) == (2, 1, 1)
    assert queue["by_platform"]["spareroom"]["depth"] == 2
    # The unlinked conversation, and the dead letter's (a dead letter escalates its conversation).
    assert queue["conversations_human_required"] == 2
    assert 590 <= queue["conversations_oldest_wait_seconds"] <= 700
    linkage = data["ingest_linkage"]
    assert (linkage["linked"], linkage["judged"], linkage["rate"]) == (4, 5, 0.8)
    assert linkage["by_platform"]["roomies"]["rate"] is None
    slots = data["slot_sources"]
    assert slots["offered"]["total"] == 2
    assert slots["offered"]["by_source"]["unit_window:weekly"] == 1
    assert slots["offered"]["by_source"]["unit_window:override"] == 1
    assert slots["offered"]["by_source"]["assignment:primary"] == 1
    assert slots["booked"] == {
        "total": 1,
        "by_source": {"agent_window:weekly": 1, "assignment:primary": 1, "unit_window:weekly": 1},
    }
    transitions = data["workflow_transitions"]
    assert transitions["audited_in_window"] == {"workflow.transition": 2, "workflow.transition_refused": 1}
    counters = {(c["field"], c["outcome"]): c["count"] for c in transitions["counters_since_reset"]}
    assert counters == {("workflow_outcome", "applied"): 2.0, ("showing_state", "refused"): 1.0}
    assert transitions["decision_targets_in_window"]["showing_state"] == {"offered": 1}


def test_snapshot_window_leaves_older_rows_out(ops_scenario, admin_user):
    data = _client(admin_user).get(URL, {"hours": 1}).json()
    # The spareroom sends happened an hour ago plus the time the scenario took: outside.
    assert "spareroom" not in data["dispatch"]["by_platform"]
    assert data["dispatch"]["by_platform"]["roomies"]["send"] == {"fail": 1}


def test_snapshot_agents_are_refused(db, agent_user):
    assert _client(agent_user).get(URL).status_code == 403


def test_snapshot_anonymous_is_refused(db):
    assert Client().get(URL).status_code in {401, 403}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"hours": "0"}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"since": "yesterday"}, "ISO 8601"),
        ({"since": "2025-02-01", "until": "2025-01-01"}, "before"),
        ({"since": "2025-01-01", "hours": "3"}, "either"),
    ],
)
def test_snapshot_bad_parameters_are_400_with_a_reason(db, admin_user, params, needle):
    response = _client(admin_user).get(URL, params)
    assert response.status_code == 400
    assert needle in response.content.decode()


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_report_the_scenario(ops_scenario):
    body = scrape_metrics()
    samples = _samples(body)

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("leasebot_jobs_total", platform="spareroom", stage="send", outcome="success") == 3
    assert value("leasebot_jobs_total", platform="spareroom", stage="send", outcome="retry") == 1
    assert value("leasebot_jobs_total", platform="roomies", stage="send", outcome="fail") == 1
    assert value("leasebot_jobs_total", platform="roomies", stage="ingest", outcome="fail") == 1
    assert value("leasebot_job_duration_seconds_count", platform="roomies", stage="ingest") == 2
    assert value("leasebot_dead_letters_total", platform="roomies", stage="send") == 1
    assert value("leasebot_dead_letters_open", platform="roomies") == 1
    assert value("leasebot_outbound_rows", platform="spareroom", status="sent") == 3
    assert value("leasebot_outbound_rows", platform="spareroom", status="pending_review") == 1
    assert value("leasebot_workflow_transitions_total", field="workflow_outcome", outcome="applied") == 2
    assert value("leasebot_review_queue_oldest_seconds") > 0
    assert value("leasebot_account_active", platform="roomies", account=str(ops_scenario.roomies.pk)) == 1
