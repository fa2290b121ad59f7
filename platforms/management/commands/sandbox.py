"""``manage.py sandbox``: serve the five platform replicas (and the login-code mailbox) until stopped."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from platforms.sandbox.server import SandboxServer
from platforms.sandbox.state import PLATFORMS


class Command(BaseCommand):
    help = "Serve local replicas of SpareRoom, Roomies, Leasebreak, RentHop and Furnished Finder (no prompts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765).")
        parser.add_argument(
            "--imap-port", type=int, default=8143, help="Port of the login-code mailbox (IMAP, default 8143)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            server = SandboxServer(host=opts["host"], port=opts["port"], imap_port=opts["imap_port"])
        except OSError as exc:
            raise CommandError(f"cannot bind {opts['host']}:{opts['port']} / IMAP {opts['imap_port']}: {exc}") from exc
        self.stdout.write(f"sandbox serving on {server.url} (control API {server.url}/__control__/)")
        for platform in PLATFORMS:
            self.stdout.write(f"  {platform:<16} {server.platform_url(platform)}")
        self.stdout.write(f"  login-code mailbox: imap://{server.host}:{server.imap_port}/INBOX")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("sandbox stopped")
        finally:
            server.http.server_close()
            server.imap.server_close()
