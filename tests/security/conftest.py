"""Fixtures of the security suite: one small world with an agent's own and a foreign account (tests/routes.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.routes import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Users are made by the dozen here; a slow hasher would only measure PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: Any) -> World:
    return build_world("sec")


def session_client(user: Any | None, *, enforce_csrf: bool = False) -> Client:
    """A browser-like client logged in with a session (as the review UI is)."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    if user is not None:
        client.force_login(user)
    return client
