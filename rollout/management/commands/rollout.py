"""``manage.py rollout status|promote|rollback``: move between shadow, canary and full with evidence."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leasebot.core.exceptions import LeasebotError
from rollout import selectors, services
from rollout.gates import GateReport, gates_evaluate


class Command(BaseCommand):
    help = "Show the rollout stage and gates, promote (gated) or roll back (at once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--as", dest="as_user", default="", help="User name recorded as the actor (default: system:cli)."
        )
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Stage, canary accounts and the gate figures.")
        status.add_argument("--json", action="store_true", help="Print the status as JSON.")
        promote = sub.add_parser("promote", help="Move forward one stage when every gate passes.")
        promote.add_argument("--to", required=True, choices=["canary", "full"])
        promote.add_argument("--accounts", nargs="+", default=[], metavar="PLATFORM/LABEL", help="The canary set.")
        promote.add_argument("--force", action="store_true", help="Override failing or holding gates (needs --reason).")
        promote.add_argument("--reason", default="")
        rollback = sub.add_parser("rollback", help="Go back one stage at once (no gates).")
        rollback.add_argument("--reason", default="")
        rollback.add_argument("--to", choices=["shadow", "canary"], default=None, help="Default: the previous stage.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["as_user"])
        action = options["action"]
        try:
            if action == "status":
                self._status(as_json=options["json"])
            elif action == "promote":
                change = services.rollout_promote(
                    to=options["to"],
                    actor=actor,
                    accounts=options["accounts"],
                    force=options["force"],
                    reason=options["reason"],
                )
                note = " (FORCED past the gates)" if change.forced else ""
                self.stdout.write(self.style.SUCCESS(f"promoted {change.from_stage} -> {change.to_stage}{note}"))
            else:
                change = services.rollout_rollback(actor=actor, reason=options["reason"], to=options["to"])
                self.stdout.write(self.style.WARNING(f"rolled back {change.from_stage} -> {change.to_stage}"))
        except LeasebotError as exc:
            raise CommandError(exc.message) from exc

    def _actor(self, username: str) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        return user

    def _status(self, *, as_json: bool) -> None:
        report = gates_evaluate()
        status = selectors.rollout_status(report=report)
        if as_json:
            self.stdout.write(json.dumps(status, indent=2, default=str))
            return
        self.stdout.write(f"stage: {status['stage']}   default send mode: {status['default_send_mode']}")
        self.stdout.write(f"canary share of other conversations: {status['canary_share_percent']}%")
        accounts = status["canary_accounts"]
        self.stdout.write("canary accounts: " + (", ".join(a["account"] for a in accounts) if accounts else "none"))
        self._gates(report)
        if status["history"]:
            self.stdout.write("recent changes:")
            for item in status["history"][:5]:
                flags = "".join([" forced" if item["forced"] else "", " automatic" if item["automatic"] else ""])
                self.stdout.write(
                    f"  {item['at']} {item['from']} -> {item['to']} by {item['actor']}{flags}: {item['reason']}"
                )

    def _gates(self, report: GateReport) -> None:
        self.stdout.write(
            f"gates ({report.window_start:%Y-%m-%d %H:%M} .. {report.window_end:%Y-%m-%d %H:%M} UTC): {report.status.upper()}"
        )
        for gate in report.gates:
            self.stdout.write("  " + gate.describe())
