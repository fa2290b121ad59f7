"""``manage.py create_user NAME --role agent --password-env VAR [--grant platform/label ...]``."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leasebot.core.exceptions import ValidationFailed
from platforms.models import PlatformAccount
from platforms.roles import ROLES, account_grant, user_create


class Command(BaseCommand):
    help = "Create a user with a role (admin, agent, ops); the password comes from an environment variable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument(
            "--password-env", required=True, help="Name of the environment variable holding the password."
        )
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--grant", action="append", default=[], metavar="PLATFORM/LABEL", help="Grant an account (agents)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        password = os.environ.get(opts["password_env"], "")
        if not password:
            raise CommandError(f"environment variable {opts['password_env']} is empty or not set")
        accounts = []
        for ref in opts["grant"]:
            slug, _, label = ref.partition("/")
            try:
                accounts.append(PlatformAccount.objects.get(platform__slug=slug, label=label))
            except PlatformAccount.DoesNotExist as exc:
                raise CommandError(f"no account {ref!r} (use platform/label)") from exc
        try:
            user = user_create(username=opts["username"], role=opts["role"], password=password, email=opts["email"])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        for account in accounts:
            account_grant(user=user, account=account)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {opts['role']} {user.get_username()}"
                + (f", granted {', '.join(map(str, accounts))}" if accounts else "")
            )
        )
