"""``manage.py ensure_database``: create the configured PostgreSQL database if it is missing."""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "Create the database named in DATABASE_URL when it does not exist yet."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **opts: Any) -> None:
        db = settings.DATABASES["default"]
        params: dict[str, Any] = {
            "host": db.get("HOST") or "127.0.0.1",
            "port": db.get("PORT") or 5432,
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or None,
            "dbname": "postgres",
            "connect_timeout": 5,
        }
        try:
            with psycopg.connect(**params, autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
                if exists:
                    self.stdout.write(f"database {db['NAME']} is there")
                    return
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        except psycopg.OperationalError as exc:
            raise CommandError(
                f"PostgreSQL at {params['host']}:{params['port']} is not reachable ({exc.__class__.__name__}). "
                "Start it, or set DATABASE_URL (compose.yaml starts one)."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"created database {db['NAME']}"))
