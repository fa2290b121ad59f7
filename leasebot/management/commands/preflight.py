"""``manage.py preflight``: say what is wrong before it hurts (exit 1 when anything fails)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rollout.preflight import CHECKS, FAIL, WARN, preflight_run


class Command(BaseCommand):
    help = "Check settings, database/redis/broker, the browser, credential references and beat schedules."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--skip", nargs="+", default=[], choices=sorted(CHECKS), help="Checks to leave out.")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = preflight_run(skip=options["skip"])
        for finding in findings:
            if finding.status == FAIL:
                line = self.style.ERROR(f"[FAIL] {finding.category}: {finding.message}")
            elif finding.status == WARN:
                line = self.style.WARNING(f"[WARN] {finding.category}: {finding.message}")
            else:
                line = self.style.SUCCESS(f"[ OK ] {finding.category}: {finding.message}")
            self.stdout.write(line)
        failures = [f for f in findings if f.status == FAIL]
        if failures:
            raise CommandError(f"preflight found {len(failures)} problem(s)")
        self.stdout.write(self.style.SUCCESS("preflight: all clear"))
