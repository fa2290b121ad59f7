"""Login throttling: per user name and per address, on both login forms."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_five_wrong_passwords_then_429_even_with_the_right_one(url: str, settings) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="carol", role="admin")
    client = Client()
    for n in range(settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_USER):
        assert client.post(url, {"username": "carol", "password": f"wrong-{n}"}).status_code == 200
    refused = client.post(url, {"username": "carol", "password": "correct-horse-battery"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_other_user_from_another_address_is_not_blocked(settings) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="carol", role="admin")
    UserFactory(username="dave", role="agent")
    attacker = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_USER):
        attacker.post("/accounts/login/", {"username": "carol", "password": f"wrong-{n}"})
    colleague = Client(REMOTE_ADDR="10.0.0.10")
    response = colleague.post("/accounts/login/", {"username": "dave", "password": "correct-horse-battery"})
    assert response.status_code == 302


def test_address_limit_stops_spraying_many_user_names(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_IP = 4
    client = Client(REMOTE_ADDR="10.0.0.11")
    for n in range(4):
        client.post("/accounts/login/", {"username": f"user{n}", "password": "x"})
    assert client.post("/accounts/login/", {"username": "someone-new", "password": "x"}).status_code == 429


def test_success_clears_the_user_count(settings) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="erin", role="agent")
    client = Client()
    for n in range(settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_USER - 1):
        client.post("/accounts/login/", {"username": "erin", "password": f"wrong-{n}"})
    assert client.post("/accounts/login/", {"username": "erin", "password": "correct-horse-battery"}).status_code == 302
    client.logout()
    client.post("/accounts/login/", {"username": "erin", "password": "wrong-again"})
    assert client.post("/accounts/login/", {"username": "erin", "password": "correct-horse-battery"}).status_code == 302
