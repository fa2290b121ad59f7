"""Issue 18: ``compose.yaml`` as a deployment someone can run, and docs/deploy.md true to it.

Before: runserver in local mode, a default database password, nothing waited for migrate, no
restart policy, no health checks, state on no volume, nothing seeded. No Docker daemon runs
here, so the file is checked as compose reads it (YAML with its merge keys), and the web
service's command is started for real with gunicorn.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, worker_env
from tests.support import eventually, free_ports

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker-rpa", "worker-default", "beat", "flower")
LONG_RUNNING = ("postgres", "redis", "web", "worker-rpa", "worker-default", "beat", "flower")
ENV_EXAMPLE = ROOT / "deploy" / "leasebot.env.example"
#: Variables compose itself reads from the env file (interpolation or a server's own setting).
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "RPA_CONCURRENCY", "DEFAULT_CONCURRENCY", "FLOWER_BASIC_AUTH"}


def _command(service: str) -> str:
    command = SERVICES[service]["command"]
    return command if isinstance(command, str) else " ".join(command)


def _example_names() -> list[str]:
    names = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    return sorted(set(names))


def test_no_password_has_a_default() -> None:
    text = (ROOT / "compose.yaml").read_text()
    # Every ${VAR...} naming a secret is required (":?"), never defaulted (":-").
    for name, rest in re.findall(r"\$\{([A-Z_]+)(:[-?][^}]*)?\}", text):
        if any(word in name for word in ("PASSWORD", "SECRET", "KEY", "AUTH", "TOKEN")):
            assert not rest.startswith(":-"), f"{name} has a default in compose.yaml"
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert SERVICES["redis"]["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    assert "requirepass" in _command("redis")
    assert "postgres:postgres@" not in text


def test_the_app_runs_production_settings_from_the_env_file() -> None:
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["env_file"] == ["deploy/leasebot.env"], name
        assert service["environment"]["DJANGO_ENV"] == "production", name
        assert "${POSTGRES_PASSWORD" in service["environment"]["DATABASE_URL"], name
        assert "${REDIS_PASSWORD" in service["environment"]["CELERY_BROKER_URL"], name
    assert _is_ignored("deploy/leasebot.env")
    assert _is_ignored("deploy/secrets/spareroom-password")


def _is_ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode == 0


def test_web_workers_beat_and_flower_are_separate_services() -> None:
    assert _command("web").startswith("gunicorn leasebot.wsgi:application")
    assert "runserver" not in (ROOT / "compose.yaml").read_text()
    assert "-Q rpa" in _command("worker-rpa")
    assert "-Q default" in _command("worker-default")
    assert " beat" in _command("beat")
    assert " flower" in _command("flower")


def test_migrate_runs_before_web_and_workers() -> None:
    assert "migrate" in _command("migrate")
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker-rpa", "worker-default", "beat", "flower"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert SERVICES[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name


def test_every_long_running_service_has_a_health_check_and_a_restart_policy() -> None:
    for name in LONG_RUNNING:
        assert SERVICES[name]["restart"] == "unless-stopped", name
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/readyz" in str(SERVICES["web"]["healthcheck"]["test"])
    assert "inspect ping" in str(SERVICES["worker-rpa"]["healthcheck"]["test"])


def test_state_lives_on_volumes_and_secrets_are_mounted_read_only() -> None:
    assert {"pgdata", "redisdata", "state"} <= set(COMPOSE["volumes"])
    for name in APP_SERVICES:
        volumes = SERVICES[name]["volumes"]
        assert "state:/var/lib/leasebot" in volumes, name
        assert "./deploy/secrets:/run/secrets:ro" in volumes, name
        assert SERVICES[name]["environment"]["LEASEBOT_STATE_DIR"] == "/var/lib/leasebot"


def test_only_loopback_is_published() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_the_demo_is_behind_a_profile() -> None:
    for name in ("sandbox", "seed"):
        assert SERVICES[name]["profiles"] == ["demo"], name
    assert "seed_demo" in _command("seed")
    for name in (*LONG_RUNNING, "migrate"):
        assert "profiles" not in SERVICES[name], name


def test_every_variable_the_docs_name_is_a_setting() -> None:
    # given: what settings.py and gunicorn's config read from the environment
    read = set()
    for source in (ROOT / "leasebot" / "settings.py", ROOT / "leasebot" / "gunicorn.py"):
        read |= set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", source.read_text()))
        read |= set(re.findall(r"""environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", source.read_text()))
    # then: the env file example and docs/deploy.md name nothing else (bar compose's own and the demo's)
    demo = {f"SANDBOX_{slug}_PASSWORD" for slug in ("SPAREROOM", "ROOMIES", "LEASEBREAK", "RENTHOP")}
    allowed = read | COMPOSE_ONLY | demo | {"LEASEBOT_CRED_SPAREROOM_TEAM", "ALICE_PW"}
    assert set(_example_names()) - allowed == set()
    deploy_doc = (ROOT / "docs" / "deploy.md").read_text()
    named = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", deploy_doc))
    assert named - allowed - {"LEASEBOT_CRED_", "SANDBOX_"} == set()


def test_the_gunicorn_config_serves_the_site(tmp_path: Path) -> None:
    # when: the web service's command, on a free loopback port
    (port,) = free_ports(1)
    env = worker_env({"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "leasebot.wsgi:application", "--config", "python:leasebot.gunicorn"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("wb"),
    )
    try:

        def healthy() -> bool:
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                    return answer.status == 200
            except OSError:
                return False

        # then
        eventually(healthy, "gunicorn to answer /healthz", timeout=60, interval=0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("name", ["POSTGRES_PASSWORD", "SECRET_KEY", "LEASEBOT_SESSION_KEY", "FLOWER_BASIC_AUTH"])
def test_the_env_example_leaves_every_secret_empty(name: str) -> None:
    assert re.search(rf"^{name}=$", ENV_EXAMPLE.read_text(), flags=re.MULTILINE), name
