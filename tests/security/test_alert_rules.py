"""Issue 18: the alert rules and the scrape config are checked by Prometheus's own tools, not only by name.

- ``promtool check rules`` and ``promtool check config`` (Debian's prometheus package, which
  ``make promtool`` unpacks under var/tools; skipped only where neither it nor a promtool on
  PATH exists);
- every expression parsed again by promql-parser (a PromQL parser from PyPI, always there);
- every metric a rule reads is one lease-bot exposes, and every alert names a runbook that exists.

Control tests show each checker refusing a broken rule, so none of them can pass vacuously.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from leasebot.core.metrics import METRICS
from leasebot.gauges import DatabaseGauges
from tests.conftest import ROOT

RULES = ROOT / "docs" / "alerts" / "prometheus-rules.yml"
SCRAPE_CONFIG = ROOT / "docs" / "alerts" / "prometheus.yml"
#: Series Prometheus makes itself, not lease-bot.
PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}


def _promtool() -> str:
    found = shutil.which("promtool") or str(ROOT / "var" / "tools" / "prometheus" / "usr" / "bin" / "promtool")
    if not Path(found).exists():
        pytest.skip("promtool is not installed: `make promtool` (Debian) or put it on PATH")
    return found


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _selectors(expr: Any) -> set[str]:
    """Return the metric names an expression's vector selectors read (walks promql-parser's tree)."""
    if isinstance(expr, promql_parser.VectorSelector):
        return {expr.name} if expr.name else set()
    names: set[str] = set()
    for attr in ("expr", "lhs", "rhs", "args", "param", "vector_selector"):
        value = getattr(expr, attr, None)
        for child in value if isinstance(value, list | tuple) else [value]:
            if isinstance(child, promql_parser.Expr):
                names |= _selectors(child)
    return names


def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run([_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_promtool_accepts_the_scrape_config(tmp_path: Path) -> None:
    # given: the config beside its rules, its token file where the copy says
    token = tmp_path / "token"
    token.write_text("a-token\n")
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    for job in config["scrape_configs"]:
        job["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(RULES, tmp_path / "prometheus-rules.yml")
    # when
    result = subprocess.run(
        [_promtool(), "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True, check=False
    )
    # then: the config and the rules it loads
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_refuses_a_broken_rule(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(leasebot_jobs_total[5m])\n"
    )
    result = subprocess.run([_promtool(), "check", "rules", str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode != 0


def test_every_expression_parses() -> None:
    for rule in _rules():
        promql_parser.parse(rule["expr"])  # ValueError with the reason when it does not


def test_the_parser_refuses_broken_promql() -> None:
    for text in ("sum(rate(leasebot_jobs_total[5m])", "rate(leasebot_jobs_total[5x])", "leasebot_jobs_total >"):
        with pytest.raises(ValueError, match=r"."):
            promql_parser.parse(text)


@pytest.mark.django_db
def test_every_metric_the_rules_read_is_exposed() -> None:
    # given: what /metrics exposes: the declared counters and histograms, and the database gauges
    exposed = set()
    for name, (kind, _help, _labels) in METRICS.items():
        exposed |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "histogram" else {name}
    exposed |= {family.name for family in DatabaseGauges().collect()}
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    # when
    read = set().union(*(_selectors(promql_parser.parse(rule["expr"])) for rule in _rules()))
    # then
    assert read, "no selector found: the walker is broken"
    assert read - exposed - recorded - PROMETHEUS_OWN == set()


def test_the_metric_check_would_catch_a_misspelt_name() -> None:
    assert _selectors(promql_parser.parse("sum(rate(leasebot_jobz_total[5m])) / up")) == {"leasebot_jobz_total", "up"}


def test_every_alert_has_a_summary_and_a_runbook_that_exists() -> None:
    alerts = [rule for rule in _rules() if "alert" in rule]
    assert alerts
    for rule in alerts:
        annotations = rule.get("annotations", {})
        assert annotations.get("summary"), rule["alert"]
        runbook = annotations.get("runbook", "")
        assert re.fullmatch(r"docs/runbooks/[\w./-]+\.md", runbook), rule["alert"]
        assert (ROOT / runbook).exists(), (rule["alert"], runbook)
