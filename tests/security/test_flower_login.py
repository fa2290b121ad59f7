"""Issue 18: Flower is never anonymous and never published beyond this machine by compose.

Before: Flower (task arguments and results, worker controls) answered anyone, and
``compose.yaml`` published it on every interface.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import yaml
from django.conf import settings

from tests.conftest import ROOT
from tests.support import eventually, free_ports


def test_compose_requires_a_flower_login_and_publishes_it_on_loopback() -> None:
    flower = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert all(str(p).startswith("127.0.0.1:") for p in flower["ports"])


def test_run_stack_starts_flower_with_a_login_of_its_own() -> None:
    source = (ROOT / "leasebot" / "management" / "commands" / "run_stack.py").read_text()
    assert '"FLOWER_BASIC_AUTH": f"flower:{flower_password}"' in source
    assert '"--address=127.0.0.1"' in source


@pytest.fixture
def flower() -> Iterator[tuple[int, str]]:
    (port,) = free_ports(1)
    password = "flower-test-pw"
    env = {**os.environ, "FLOWER_BASIC_AUTH": f"flower:{password}", "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leasebot", "flower", f"--port={port}", "--address=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port, password
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _status(url: str, auth: str | None = None) -> int:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_flower_with_the_login_setting_refuses_anonymous_visitors(flower: tuple[int, str]) -> None:
    port, password = flower
    url = f"http://127.0.0.1:{port}/"
    eventually(lambda: _status(url) != 0, "Flower to listen", timeout=60)
    assert _status(url) == 401
    assert _status(f"http://127.0.0.1:{port}/api/tasks") == 401
    assert _status(url, f"flower:{password}") == 200
