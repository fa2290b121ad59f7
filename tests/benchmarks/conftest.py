"""The benchmark harness: skipped unless ``LEASEBOT_BENCH=1`` (``make bench``); writes the performance report.

Each benchmark records its figures with :func:`record`; at the end of the session the
results, the goals and the machine (nproc, memory, Python, PostgreSQL, Chromium) are
written by the run itself: to ``docs/performance.md`` under ``make bench`` (which sets
LEASEBOT_BENCH_REPORT), else to ``var/performance.md``, so that running one benchmark by
hand neither dirties the work tree nor replaces the report with a partial one. Benchmarks fail only on
correctness, never on a timing: a missed goal is reported, not asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# The chaos rig (private Redis, sandbox, real workers) serves the benchmarks that need a fleet.
from tests.chaos.conftest import chaos_sandbox, private_redis, rig  # noqa: F401

ENABLED = os.environ.get("LEASEBOT_BENCH") == "1"
ROOT = Path(__file__).resolve().parents[2]
REPORT = Path(os.environ.get("LEASEBOT_BENCH_REPORT") or ROOT / "var" / "performance.md")

#: name -> {"title", "figures": {label: value}, "goal", "met", "notes"}
RESULTS: dict[str, dict[str, Any]] = {}


def pytest_ignore_collect(collection_path: Path, config: Any) -> bool | None:
    """Keep the benchmarks out of ``make test``: collected only with LEASEBOT_BENCH=1."""
    if not ENABLED and collection_path.name.startswith("test_"):
        return True
    return None


def record(
    name: str, title: str, figures: dict[str, Any], *, goal: str = "", met: bool | None = None, notes: str = ""
) -> None:
    RESULTS[name] = {"title": title, "figures": figures, "goal": goal, "met": met, "notes": notes}
    print(
        f"\n[bench] {title}: "
        + ", ".join(f"{k}={v}" for k, v in figures.items())
        + (f" | goal {goal}: {'met' if met else 'MISSED'}" if goal else "")
    )


def _machine() -> dict[str, str]:
    from django.db import connection

    mem_kb = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg = cursor.fetchone()[0]
    except Exception:
        pg = "unknown"
    try:
        chromium = subprocess.run(
            ["/usr/lib/chromium/chromium", "--version"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "unknown"
    cpu = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": sys.version.split()[0],
        "postgresql": pg,
        "chromium": chromium,
        "os": platform.platform(),
        "load average at the end (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load),
    }


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@pytest.fixture(scope="session", autouse=True)
def _write_report(django_db_setup: Any, django_db_blocker: Any) -> Any:
    yield
    if not RESULTS:
        return
    with django_db_blocker.unblock():
        machine = _machine()
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`tests/benchmarks/`); do not edit by hand: the next run replaces it.",
        "Every figure below comes from one run on the machine described here, and each comparison",
        "(a ratio) was measured in that same run. A missed goal is a finding, reported as such;",
        "the measurement is never bent to meet it. Method notes: `tests/benchmarks/*.py` docstrings.",
        "",
        f"Run: {dt.datetime.now(tz=dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in machine.items()],
        "",
        "The machine is shared with other work (see the load average): absolute timings are noisy;",
        "the ratios, measured side by side, much less so.",
        *(
            [
                "",
                f"**This run was on a loaded machine** (load average {os.getloadavg()[1]:.1f} over 5 minutes on "
                f"{os.cpu_count()} cores): every absolute timing and rate below is slower than on an idle "
                "machine, by a factor the run cannot know; the goals are judged on these figures all the same.",
            ]
            if os.getloadavg()[1] > (os.cpu_count() or 1)
            else []
        ),
        "",
        "## Summary",
        "",
        "| benchmark | goal | result |",
        "| --- | --- | --- |",
    ]
    for result in RESULTS.values():
        if result["goal"]:
            verdict = "met" if result["met"] else "**missed**"
            lines.append(f"| {result['title']} | {result['goal']} | {verdict} |")
    for result in RESULTS.values():
        lines += ["", f"## {result['title']}", "", "| figure | value |", "| --- | --- |"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in result["figures"].items()]
        if result["goal"]:
            lines += ["", f"Goal: {result['goal']}: **{'met' if result['met'] else 'missed'}**."]
        if result["notes"]:
            lines += ["", result["notes"]]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
