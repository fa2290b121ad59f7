"""``make run``'s supervisor, end to end: sandbox, web, workers and beat; replies go out; a clean stop."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT, worker_env
from tests.support import eventually, free_ports

pytestmark = [pytest.mark.worker, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_stack_runs_the_loop_and_stops_cleanly(tmp_path, purge_broker) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.log"
    # run_stack takes fixed ports and waits on them (it cannot bind port 0 and report it): racy, but rare.
    ports = [str(port) for port in free_ports(3)]
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

    def sent_a_reply() -> bool:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        return "sent outbound" in log.read_text(errors="replace")

    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            eventually(
                sent_a_reply,
                "run_stack to send a reply",
                timeout=90,
                interval=0.5,
                detail=lambda: log.read_text(errors="replace")[-3000:],
            )
        finally:
            proc.send_signal(signal.SIGINT)  # Ctrl-C.
            code = proc.wait(timeout=60)
    text = log.read_text(errors="replace")
    assert "sent outbound" in text, text[-3000:]
    assert "renter inquiry arrives" in text
    assert text.rstrip().endswith("stopped"), text[-2000:]
    assert "did not stop in time" not in text
    assert code == 0
