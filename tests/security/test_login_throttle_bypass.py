"""Issue 18: the login lockout holds for every spelling of a name, and behind a proxy per client.

Before: the per-user count hashed the raw name while Django's login form authenticates its
NFKC form, so a full-width spelling of a locked-out name still logged in; the per-address
count used ``REMOTE_ADDR``, so behind a reverse proxy every user shared one count and one
lockout, and nothing said how many proxies to trust.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from leasebot.core.throttle import client_address, user_key
from tests.platforms.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_a_fullwidth_spelling_does_not_escape_the_lockout(url: str, settings: Any) -> None:
    # given: carol is locked out after too many wrong passwords
    UserFactory(username="carol", role="admin")
    client = Client(REMOTE_ADDR="10.1.0.1")
    for n in range(settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_USER):
        client.post(url, {"username": "carol", "password": f"wrong-{n}"})
    # when: the right password comes with the name in full-width letters (Django reads it as carol),
    # from another address
    other = Client(REMOTE_ADDR="10.1.0.2")
    response = other.post(url, {"username": _fullwidth("carol"), "password": PASSWORD})
    # then: still locked out
    assert response.status_code == 429
    assert "_auth_user_id" not in other.session


def test_fullwidth_failures_count_for_the_plain_name(settings: Any) -> None:
    UserFactory(username="dora", role="agent")
    for n in range(settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_USER):
        Client(REMOTE_ADDR=f"10.2.0.{n + 1}").post(
            "/accounts/login/", {"username": _fullwidth("DORA"), "password": f"wrong-{n}"}
        )
    response = Client(REMOTE_ADDR="10.2.1.1").post("/accounts/login/", {"username": "dora", "password": PASSWORD})
    assert response.status_code == 429


@settings(max_examples=100, deadline=None)
@given(name=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20))
def test_every_spelling_django_reads_as_one_name_counts_as_one(name: str) -> None:
    assert user_key(_fullwidth(name)) == user_key(name) == user_key(f" {name.upper()} ")


def test_behind_a_proxy_one_clients_lockout_is_not_everyones(settings: Any) -> None:
    # given: one trusted reverse proxy at 10.9.9.9 in front of the site
    settings.LEASEBOT_TRUSTED_PROXY_COUNT = 1
    settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_IP = 3
    UserFactory(username="erin", role="agent")
    proxy = "10.9.9.9"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    for n in range(3):
        attacker.post("/accounts/login/", {"username": f"user{n}", "password": "x"})
    # then: the attacker is locked out, even when it writes its own X-Forwarded-For ...
    assert attacker.post("/accounts/login/", {"username": "another", "password": "x"}).status_code == 429
    spoofing = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7")
    assert spoofing.post("/accounts/login/", {"username": "another", "password": "x"}).status_code == 429
    # ... and a colleague behind the same proxy logs in
    colleague = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert colleague.post("/accounts/login/", {"username": "erin", "password": PASSWORD}).status_code == 302


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.LEASEBOT_TRUSTED_PROXY_COUNT = 0
    settings.LEASEBOT_LOGIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        Client(REMOTE_ADDR="10.3.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            "/accounts/login/", {"username": f"u{n}", "password": "x"}
        )
    fresh_header = Client(REMOTE_ADDR="10.3.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert fresh_header.post("/accounts/login/", {"username": "v", "password": "x"}).status_code == 429


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.1"),
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "198.51.100.7"),  # Fewer hops than proxies: the farthest we have.
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(settings: Any, count: int, forwarded: str, expected: str) -> None:
    settings.LEASEBOT_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
