"""``manage.py erase_contact``: erase a renter's personal data everywhere lease-bot holds it."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inbox import privacy
from leasebot.core.exceptions import LeasebotError


class Command(BaseCommand):
    help = (
        "Erase a renter's data (messages, drafts, decisions, profile, dead-letter payloads) and suppress them. "
        "Either --platform and --handle, or --conversation."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--platform", default="", help="Platform slug, with --handle.")
        parser.add_argument(
            "--handle",
            default="",
            help=(
                "The renter's profile id on that platform (a conversation's renter handle): erases every thread "
                "of theirs there, on every account. Where a platform shows none, thread:<account id>:<thread ref>."
            ),
        )
        parser.add_argument("--conversation", type=int, default=None, help="One conversation id instead.")
        parser.add_argument("--reason", default="renter request", help="Why (audited; write no personal data here).")
        parser.add_argument("--as", dest="as_user", default="", help="User name recorded as the actor.")

    def handle(self, *args: Any, **options: Any) -> None:
        by_handle = bool(options["platform"] or options["handle"])
        if by_handle == (options["conversation"] is not None):
            raise CommandError("give either --platform and --handle, or --conversation")
        if by_handle and not (options["platform"] and options["handle"]):
            raise CommandError("--platform and --handle go together")
        actor = None
        if options["as_user"]:
            actor = get_user_model().objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['as_user']!r}")
        try:
            if by_handle:
                result = privacy.erase_contact(
                    platform_slug=options["platform"], handle=options["handle"], actor=actor, reason=options["reason"]
                )
            else:
                result = privacy.erase_conversation(
                    conversation_id=options["conversation"], actor=actor, reason=options["reason"]
                )
        except LeasebotError as exc:
            raise CommandError(exc.message) from exc
        counts = ", ".join(f"{k}={v}" for k, v in result.counts().items())
        self.stdout.write(self.style.SUCCESS(f"erased: {counts}"))
