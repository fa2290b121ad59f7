"""Memory per browser context and per worker: PSS from /proc/<pid>/smaps_rollup, summed over the process tree.

PSS (proportional set size) splits each shared page among the processes that map it, so a
sum over Chromium's many processes (which share most of their code) is not overstated the
way a sum of RSS is; RSS is reported beside it for comparison.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platforms.browser import BrowserRuntime
from platforms.connectors.registry import build_connector
from platforms.guard import Guard
from platforms.sandbox.client import SandboxClient
from tests.benchmarks.conftest import record
from tests.conftest import SandboxLogin

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTEXTS = 10


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        for child in children.get(pid, []):
            found.append(child)
            stack.append(child)
    return found


def tree_rss_mb(root: int, *, include_root: bool = False) -> float:
    pids = descendants(root) + ([root] if include_root else [])
    return sum(rss_kb(p) for p in pids) / 1024


def tree_pss_mb(root: int, *, include_root: bool = False) -> float:
    pids = descendants(root) + ([root] if include_root else [])
    return sum(pss_kb(p) for p in pids) / 1024


def test_memory_per_browser_context(
    chaos_sandbox: Any, sandbox_login: Callable[..., SandboxLogin], tmp_path: Path, settings: Any
) -> None:
    settings.LEASEBOT_PACING_MIN_S = settings.LEASEBOT_PACING_MAX_S = 0
    settings.LEASEBOT_RATE_PER_MINUTE, settings.LEASEBOT_RATE_BURST = 60_000, 1_000
    client = SandboxClient(chaos_sandbox.url)
    runtime = BrowserRuntime(state_dir=tmp_path / "state", headless=True)
    try:
        _ = runtime.browser  # Launch Chromium: the per-worker fixed cost.
        browser_only = tree_pss_mb(os.getpid())
        browser_only_rss = tree_rss_mb(os.getpid())
        per_step = []
        for n in range(CONTEXTS):
            platform = ("spareroom", "leasebreak", "renthop", "roomies")[n % 4]
            login = sandbox_login(platform, env_prefix="MEM")
            client.seed_message(platform, login.username, renter_name="Dana", body="Is it free?")
            config = login.config(n + 1)
            connector = build_connector(config, runtime=runtime, guard=Guard(account_id=900_000 + n, platform=platform))
            before = tree_pss_mb(os.getpid())
            connector.fetch_new_messages(None)
            per_step.append(tree_pss_mb(os.getpid()) - before)
        total = tree_pss_mb(os.getpid())
        total_rss = tree_rss_mb(os.getpid())
    finally:
        runtime.close()
    per_context = (total - browser_only) / CONTEXTS
    record(
        "memory_contexts",
        "Memory per browser context",
        {
            "Chromium + Playwright driver, no context (MB PSS)": round(browser_only, 1),
            f"after {CONTEXTS} account contexts, each having read its inbox and threads (MB PSS)": round(total, 1),
            "per context, average (MB PSS)": round(per_context, 1),
            "per context, largest step (MB PSS)": round(max(per_step), 1),
            "for comparison, RSS summed: no context / with contexts (MB)": f"{browser_only_rss:.0f} / {total_rss:.0f}",
        },
        notes=(
            "The tree under the test process: Playwright's driver and every Chromium process. Each context "
            "keeps one open page (tab), so most of a context's cost is its renderer process."
        ),
    )
