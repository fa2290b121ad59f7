"""``make run``'s supervisor, end to end: sandbox, web, workers and beat; replies go out; a clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_stack_runs_the_loop_and_stops_cleanly(tmp_path, purge_broker) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.log"
    ports = [str(_free_port()) for _ in range(3)]
    cmd = [
        sys.executable,
        "manage.py",
        "run_stack",
        "--no-flower",
        "--feed-every",
        "3",
        "--web-port",
        ports[0],
        "--sandbox-port",
        ports[1],
        "--imap-port",
        ports[2],
    ]
    env = worker_env({"LEASEBOT_STATE_DIR": str(tmp_path / "state"), "PYTHONUNBUFFERED": "1"})
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "sent outbound" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)  # Ctrl-C.
        code = proc.wait(timeout=60)
    text = log.read_text(errors="replace")
    assert "sent outbound" in text, text[-3000:]
    assert "renter inquiry arrives" in text
    assert text.rstrip().endswith("stopped"), text[-2000:]
    assert "did not stop in time" not in text
    assert code == 0
