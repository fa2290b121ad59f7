"""Production start-up: the mock runtime refuses to start, and ``check --deploy`` is clean."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LEASEBOT_", "DJANGO_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "leasebot.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/leasebot_ops",
            "REDIS_URL": "redis://127.0.0.1:6379/7",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/8",
            "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/8",
        }
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("opt_in", ["", "1"])
def test_mock_runtime_refuses_production(opt_in: str) -> None:
    # given: production with the mock runtime (even with the test opt-in set)
    env = _env(DJANGO_ENV="production", SECRET_KEY="x", LEASEBOT_RUNTIME="mock", LEASEBOT_ALLOW_MOCK_RUNTIME=opt_in)
    # when
    result = _run(["-c", "import django; django.setup()"], env)
    # then: start-up fails with a message that says what to do
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "LEASEBOT_RUNTIME must be 'playwright' in production" in result.stderr


def test_production_without_runtime_refuses_too() -> None:
    result = _run(["-c", "import django; django.setup()"], _env(DJANGO_ENV="production", SECRET_KEY="x"))
    assert result.returncode != 0
    assert "LEASEBOT_RUNTIME must be 'playwright' in production" in result.stderr


def test_production_without_a_suppression_key_refuses() -> None:
    # given: production settings complete but for the key of the opt-out hashes
    env = _env(DJANGO_ENV="production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com", LEASEBOT_RUNTIME="playwright")
    # when
    result = _run(["-c", "import django; django.setup()"], env)
    # then: start-up fails and names the variable
    assert result.returncode != 0
    assert "LEASEBOT_SUPPRESSION_KEY" in result.stderr


def test_production_without_a_session_key_refuses() -> None:
    # given: production settings complete but for the key browser sessions are sealed with
    env = _env(
        DJANGO_ENV="production",
        SECRET_KEY="x" * 50,
        LEASEBOT_SUPPRESSION_KEY="s" * 50,
        ALLOWED_HOSTS="example.com",
        LEASEBOT_RUNTIME="playwright",
    )
    result = _run(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert "LEASEBOT_SESSION_KEY" in result.stderr
    # ... and an empty one (compose passes ${LEASEBOT_SESSION_KEY:-}) is refused too
    result = _run(["-c", "import django; django.setup()"], {**env, "LEASEBOT_SESSION_KEY": ""})
    assert result.returncode != 0
    assert "LEASEBOT_SESSION_KEY must be set" in result.stderr


def test_production_with_playwright_starts() -> None:
    env = _env(
        DJANGO_ENV="production",
        SECRET_KEY="x" * 50,
        LEASEBOT_SUPPRESSION_KEY="s" * 50,
        LEASEBOT_SESSION_KEY="k" * 50,
        ALLOWED_HOSTS="example.com",
        LEASEBOT_RUNTIME="playwright",
    )
    result = _run(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.LEASEBOT_RUNTIME)"], env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "playwright"


def test_check_deploy_is_clean_with_production_settings() -> None:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    key = "".join(secrets.choice(alphabet) for _ in range(50))
    env = _env(
        DJANGO_ENV="production",
        SECRET_KEY=key,
        LEASEBOT_SUPPRESSION_KEY=key[::-1],
        LEASEBOT_SESSION_KEY=key.upper(),
        ALLOWED_HOSTS="example.com",
        LEASEBOT_RUNTIME="playwright",
    )
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
