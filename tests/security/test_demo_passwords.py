"""Issue 18: every demo user has its own random password, shown once on the console, never logged or kept in clear.

Before: ``make run`` printed one password for admin, agent and ops alike (``seed_demo
--password``), so whoever learnt the agent's login had the admin's too.
"""

from __future__ import annotations

import io
import logging
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from leasebot.core.models import AuditLog
from leasebot.management.commands.run_stack import Command as RunStack
from leasebot.management.commands.seed_demo import DEMO_USERS, demo_passwords
from leasebot.management.commands.seed_demo import Command as SeedDemo

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_url(fresh_sandbox: Any) -> str:
    return str(fresh_sandbox.url)


def _seed(sandbox_url: str, **opts: Any) -> tuple[SeedDemo, str]:
    out = io.StringIO()
    seeder = SeedDemo(stdout=out)
    call_command(seeder, sandbox_url=sandbox_url, inquiries=0, **opts)
    return seeder, out.getvalue()


def _stored_anywhere(secret: str) -> list[str]:
    """Return the tables whose text holds ``secret`` (the whole database, every text column, as text)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT 1 FROM "{table}" t WHERE t::text LIKE %s LIMIT 1', [f"%{secret}%"])  # noqa: S608 - table names from the catalogue.
            if cursor.fetchone():
                found.append(table)
    return found


def test_each_demo_user_gets_its_own_password_shown_once(sandbox_url: str, caplog: pytest.LogCaptureFixture) -> None:
    # when
    with caplog.at_level(logging.DEBUG):
        seeder, printed = _seed(sandbox_url)
    # then: three different passwords, each logs its own user in and no other
    passwords = seeder.passwords
    assert set(passwords) == set(DEMO_USERS)
    assert len(set(passwords.values())) == len(DEMO_USERS)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
    for role, password in passwords.items():
        assert len(password) >= 20
        assert {name for name, user in users.items() if user.check_password(password)} == {role}
        # printed once on the console, never in a log record, never stored in clear
        assert printed.count(password) == 1, printed
        assert password not in caplog.text
        assert not _stored_anywhere(password), role
        assert not AuditLog.objects.filter(after__icontains=password).exists()


def test_every_run_gives_new_passwords(sandbox_url: str) -> None:
    first, _ = _seed(sandbox_url)
    second, _ = _seed(sandbox_url)
    assert not set(first.passwords.values()) & set(second.passwords.values())
    agent = get_user_model().objects.get(username="agent")
    assert not agent.check_password(first.passwords["agent"])
    assert agent.check_password(second.passwords["agent"])


def test_run_stack_seeds_quietly_and_its_banner_shows_each_login(sandbox_url: str) -> None:
    # run_stack's seeding prints no password (its banner is the one place they appear)
    seeder, printed = _seed(sandbox_url, no_print_passwords=True)
    assert not any(p in printed for p in seeder.passwords.values())
    out = io.StringIO()
    stack = RunStack(stdout=out)
    stack.print_lock = threading.Lock()  # handle() makes it before anything prints.
    stack._banner({"web_port": 8000, "no_flower": True}, seeder.passwords)
    banner = out.getvalue()
    for role, password in seeder.passwords.items():
        assert f"{role} / {password}" in banner


def test_demo_passwords_are_random_and_distinct() -> None:
    drawn = [demo_passwords() for _ in range(50)]
    values = [p for d in drawn for p in d.values()]
    assert len(set(values)) == len(values)
    assert all(p[0].isalpha() for p in values)  # never read as a command-line option
