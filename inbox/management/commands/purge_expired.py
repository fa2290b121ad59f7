"""``manage.py purge_expired``: erase renters' data older than the retention period."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from inbox import privacy


class Command(BaseCommand):
    help = "Erase renters' data in conversations quiet for longer than LEASEBOT_RENTER_DATA_RETENTION_DAYS."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override the retention (days) for this run.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be erased.")
        parser.add_argument("--limit", type=int, default=1000, help="At most this many conversations per run.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = privacy.retention_days() if options["days"] is None else options["days"]
        if days <= 0:
            self.stdout.write("retention is 0 days (keep for ever): nothing to purge")
            return
        if options["dry_run"]:
            count = privacy.expired_conversations(days=days).count()
            self.stdout.write(f"{count} conversation(s) older than {days} days would be erased")
            return
        result = privacy.purge_expired(days=days, limit=options["limit"])
        self.stdout.write(self.style.SUCCESS(f"erased {result.conversations} conversation(s) older than {days} days"))
