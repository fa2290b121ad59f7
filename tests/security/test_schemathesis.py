"""Issue 18: schemathesis over the project's own OpenAPI schema (drf-spectacular), as each role.

Every operation the schema declares gets requests generated from its parameters and body
schemas (and from outside them: schemathesis also sends what the schema says is wrong), sent
through the real WSGI application with a DRF token of an agent, an ops user and an admin.
Path ids are either generated or, half the time, a real object of the world (an agent's
own account, so writes get past authorisation). The check: never a server error, and a 4xx
always carries a reason.

``make test`` draws a few examples per operation and role; ``LEASEBOT_CHAOS_FULL=1`` (or
``LEASEBOT_SCHEMATHESIS_EXAMPLES=<n>``) draws many more.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from tests.routes import World

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FULL = os.environ.get("LEASEBOT_CHAOS_FULL") == "1"
#: Each generated request is sent as each of these (tests/routes.py's world has one user per role).
ROLES = ("agent", "ops", "admin")
EXAMPLES = int(os.environ.get("LEASEBOT_SCHEMATHESIS_EXAMPLES", "150" if FULL else "6"))

#: Which object of the world a path's ``{id}`` names, by the path's first segment under /api/v1/.
OBJECT_OF_COLLECTION = {
    "canned-replies": "canned",
    "conversations": "conversation",
    "dead-letters": "letter",
    "outbound": "draft",
    "platform-accounts": "account",
    "platforms": "platform",
}


@pytest.fixture
def api_schema() -> Iterator[Any]:
    """The schema as the running site serves it at /api/schema/.

    The WSGI handler closes the database connection after each request, which would end the
    test's transaction; Django's own test client keeps it open the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


def _real_id(world: World, path: str) -> int | None:
    collection = path.removeprefix("/api/v1/").split("/", 1)[0]
    name = OBJECT_OF_COLLECTION.get(collection)
    return None if name is None else world.ids("own")[name]


@pytest.mark.timeout(300 if EXAMPLES <= 10 else 40 * EXAMPLES)  # Every operation is one pytest test here.
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@schema.given(data=st.data())
def test_no_operation_answers_a_server_error(case: Any, data: Any, world: World) -> None:
    # given: a real object for the path id half the time
    if "id" in (case.path_parameters or {}) and data.draw(st.booleans(), label="real id"):
        real = _real_id(world, case.operation.path)
        if real is not None:
            case.path_parameters["id"] = real
    for role in ROLES:
        token, _created = Token.objects.get_or_create(user=world.users[role])
        # when: the same request as each role
        response = case.call(headers={"Authorization": f"Token {token.key}"})
        # then
        what = f"{role}: {case.method} {case.formatted_path} {case.query} {str(case.body)[:200]!r}"
        assert response.status_code < 500, (what, response.status_code, response.content[:500])
        if 400 <= response.status_code < 500:
            # A path the URL resolver does not match (``/outbound/-1/``) is Django's HTML 404.
            assert response.content, f"{what}: a {response.status_code} without a reason"
            if response.headers.get("Content-Type", "").startswith("application/json"):
                assert json.loads(response.content), f"{what}: an empty reason"
