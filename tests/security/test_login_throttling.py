"""Password guessing against the login forms must be slowed down.

The review UI and the admin sit behind a login; settings.py declares a
``login`` throttle rate ("10/min") for DRF, but the login forms are Django's own views,
which DRF throttles never see. These tests guess passwords as an attacker would and
expect to be stopped; they fail until the forms are throttled (see docs/security.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.routes import World
from tests.security.conftest import session_client

pytestmark = pytest.mark.django_db

GUESSES = 30
#: settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"] is 10/min: allow that, refuse after.
ALLOWED_FAILURES = 10


def _refused(response: Any) -> bool:
    """A throttled login: HTTP 429 (or 403), or a form that says to wait, without logging in."""
    if response.status_code in (429, 403):
        return True
    text = response.content.decode(errors="replace").lower()
    return response.status_code == 200 and any(w in text for w in ("too many", "try again later", "locked"))


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_repeated_wrong_passwords_get_throttled(world: World, url: str) -> None:
    client = session_client(None)
    answers = [client.post(url, {"username": "sec-admin", "password": f"guess-{n}"}) for n in range(GUESSES)]
    refused = [n for n, response in enumerate(answers) if _refused(response)]
    assert refused, f"{GUESSES} wrong passwords in a row on {url} were all answered normally: no login throttling"
    assert refused[0] <= ALLOWED_FAILURES, f"throttling starts only after {refused[0]} failures"


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_right_password_right_after_a_guessing_run_is_still_refused(world: World, url: str) -> None:
    client = session_client(None)
    for n in range(GUESSES):
        client.post(url, {"username": "sec-admin", "password": f"guess-{n}"})
    response = client.post(url, {"username": "sec-admin", "password": "correct-horse-battery"})
    assert response.status_code != 302 or _refused(response), (
        "after a guessing run the right password still logs in at once: the guesser is never slowed down"
    )
