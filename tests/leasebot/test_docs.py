"""The alert rules load and name real metrics; every metric is documented; the runbooks exist."""

from __future__ import annotations

import re

import pytest
import yaml

from leasebot.core.metrics import METRICS
from leasebot.gauges import database_gauges
from tests.conftest import ROOT

DOCS = ROOT / "docs"
RUNBOOKS = (
    "rollout.md",
    "captcha-or-block-storm.md",
    "selector-drift.md",
    "dead-letter-growth.md",
    "worker-or-redis-loss.md",
    "credential-rotation.md",
    "release-checklist.md",
)


def _exposed_names(gauges: list[str]) -> set[str]:
    names = set(gauges)
    for name, (kind, _help, _labels) in METRICS.items():
        if kind == "counter":
            names.add(name)
        else:
            names.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
    return names


@pytest.fixture
def gauge_names(db) -> list[str]:  # type: ignore[no-untyped-def]
    return [family.name for family in database_gauges()]


def test_prometheus_rules_are_valid_and_use_real_metrics(gauge_names):
    rules = yaml.safe_load((DOCS / "alerts" / "prometheus-rules.yml").read_text())
    known = _exposed_names(gauge_names)
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert {
        "LeasebotDispatchSuccessBelowSLO",
        "LeasebotSendQueueStale",
        "LeasebotDeadLettersGrowing",
        "LeasebotCaptchaStorm",
        "LeasebotIngestStale",
    } <= {a["alert"] for a in alerts}
    for group in rules["groups"]:
        assert group["name"]
        assert group["rules"]
        for rule in group["rules"]:
            assert ("alert" in rule) != ("record" in rule)
            assert rule["expr"].strip()
            for name in re.findall(r"\b(leasebot[_:][a-z0-9_:]+)", rule["expr"]):
                assert name in known or name in recorded, (
                    f"{rule.get('alert') or rule.get('record')}: unknown metric {name}"
                )
    for alert in alerts:
        assert alert["labels"]["severity"] in {"page", "warn"}
        runbook = alert["annotations"].get("runbook")
        if runbook:
            assert (ROOT / runbook).exists(), runbook


def test_every_metric_and_gauge_is_documented(gauge_names):
    text = (DOCS / "observability.md").read_text()
    for name in [*METRICS, *gauge_names]:
        assert f"`{name}`" in text, f"{name} is not documented in docs/observability.md"


def test_runbooks_exist_and_name_their_commands():
    for name in RUNBOOKS:
        assert (DOCS / "runbooks" / name).read_text().startswith("# ")
    rollout = (DOCS / "runbooks" / "rollout.md").read_text()
    for command in ("rollout status", "promote --to canary", "promote --to full", "rollback", "--force --reason"):
        assert command in rollout
