"""The platform's process hooks: a Celery worker process closes its Chromium when it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import pytest
from celery.signals import worker_process_shutdown

from platforms import browser as browser_module
from platforms.browser import BrowserRuntime, set_runtime
from tests.conftest import ROOT, worker_env


class _RecordingRuntime:
    """Stands in for this process's runtime; records that it was closed."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_worker_process_shutdown_closes_this_processs_browser() -> None:
    runtime = _RecordingRuntime()
    set_runtime(cast(BrowserRuntime, runtime))
    try:
        worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
        assert runtime.closed == 1
        assert getattr(browser_module._local, "runtime", None) is None
    finally:
        set_runtime(None)


# The worker: its pool child launches a real Chromium when it starts and writes a file when
# the runtime is closed; nothing else in it knows about the hook under test.
_WORKER = """
import os, pathlib, sys

from celery.signals import worker_process_init

from leasebot.celery import app

marker = pathlib.Path(sys.argv[1])


@worker_process_init.connect
def _start_browser(**_):
    from platforms import browser

    runtime = browser.get_runtime()
    runtime.browser  # Chromium starts now, in the pool child.
    close = runtime.close

    def recording_close():
        close()
        marker.write_text(str(os.getpid()))

    runtime.close = recording_close
    marker.with_suffix(".started").write_text(str(os.getpid()))


app.worker_main(
    ["worker", "-P", "prefork", "-c", "1", "-Q", f"signals-{os.getpid()}", "-n", f"signals-{os.getpid()}@%h",
     "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
)
"""


@pytest.mark.worker
@pytest.mark.browser
@pytest.mark.slow
def test_a_real_prefork_child_closes_its_chromium_on_shutdown(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    marker = tmp_path / "closed"
    log = tmp_path / "worker.log"
    env = worker_env({"PYTHONPATH": str(ROOT), "LEASEBOT_STATE_DIR": str(tmp_path / "state")})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(marker)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = marker.with_suffix(".started")
        deadline = time.monotonic() + 60
        while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert started.exists(), log.read_text(errors="replace")
        child = int(started.read_text())
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert marker.exists(), log.read_text(errors="replace")
    assert int(marker.read_text()) == child
