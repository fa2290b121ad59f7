"""``manage.py seed_demo``: demo accounts on the sandbox, users, listings and availability.

Idempotent: run it again and the demo accounts start clean (their old conversations and
outbox rows are removed, because a fresh sandbox numbers its threads from 1 again).
Passwords are never stored in the repo: the sandbox's come from ``SANDBOX_<SLUG>_PASSWORD``
environment variables (random per run in ``make run``); each web user (admin, agent, ops) gets
its own random password on every run, stored only as Django's hash and shown once: printed by
this command, or handed to ``run_stack`` (``Command.passwords``) for its banner. Never logged.
"""

from __future__ import annotations

import os
import random
import secrets
from datetime import time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from dispatch.models import DeadLetter, DispatchAttempt
from inbox.models import AvailabilityRule, Conversation, Listing, ListingRef, OutboundMessage, Unit, UnitAssignment
from platforms.choices import PlatformSlug
from platforms.models import Platform, PlatformAccount
from platforms.roles import account_grant
from platforms.sandbox.client import SandboxClient, SandboxClientError
from platforms.services import settings_update

DEMO_LABEL = "demo"

#: Zones the demo accounts' users set on their sites (blank: the platform's own). One team
#: works from the West Coast, so its SpareRoom pages print Pacific times while the table's
#: default is New York's: the demo runs the per-account zone end to end.
DEMO_TIME_ZONES: dict[str, str] = {"spareroom": "America/Los_Angeles"}

LISTINGS: list[dict[str, Any]] = [
    {
        "title": "Sunny double room in Williamsburg loft",
        "address": "112 Bedford Ave, Brooklyn, NY",
        "ref": "L1001",
        "unit": "Room A",
        "rent": 1650,
        "deposit": 1650,
        "pets": "Cats allowed, no dogs",
        "parking": "Street parking only",
    },
    {
        "title": "Furnished studio near Mount Sinai",
        "address": "20 E 98th St, New York, NY",
        "ref": "L1002",
        "unit": "Studio 4B",
        "rent": 2400,
        "deposit": 2400,
        "pets": "No pets",
        "parking": "Garage nearby, $250/month",
    },
    {
        "title": "2BR lease takeover in Astoria",
        "address": "31-05 30th Ave, Astoria, NY",
        "ref": "L1003",
        "unit": "Apt 2F",
        "rent": 2950,
        "deposit": 2950,
        "pets": "Pets welcome with deposit",
        "parking": "One driveway spot included",
    },
]

RENTERS = [
    "Dana Whitfield",
    "Marco Ruiz",
    "Priya Nair",
    "Tomás Ortega",
    "Aisha Bello",
    "Kenji Mori",
    "Lena Novak",
    "Sam O'Neill",
]

INQUIRIES = [
    "Hi! Is the room still available? I'd love to come see it this week.",
    "Hello, what's the monthly rent and does it include utilities?",
    "Can I schedule a viewing? I'm free most evenings after 6.",
    "Do you allow cats? I have one very chill cat 🐱",
    "Is there parking? I have a car.",
    "I'm a travel nurse starting June 1 for 13 weeks, is it available then?",
    "What's the minimum lease length?",
    "Hola! Is this still available? Can I move in next month?",
    "Can I just send you the deposit by Zelle to hold it?",
    "How do I apply? I'm ready to move quickly.",
    "Not interested anymore, found something else. Thanks!",
    "Hey, is it available from the 15th? What would the move-in costs be?",
]


#: The demo's web users, one per role, each named after its role.
DEMO_USERS = ("admin", "agent", "ops")


def demo_passwords() -> dict[str, str]:
    """Return a new random password for each demo user, no two alike.

    Each starts with a letter, so none reads as a command-line option; 16 random URL-safe
    bytes leave nothing to guess.
    """
    passwords: dict[str, str] = {}
    while len(set(passwords.values())) < len(DEMO_USERS):
        passwords = {role: role[0] + secrets.token_urlsafe(16) for role in DEMO_USERS}
    return passwords


def _platform_password(slug: str) -> str:
    name = f"SANDBOX_{slug.upper()}_PASSWORD"
    if not os.environ.get(name):
        os.environ[name] = secrets.token_urlsafe(12)
    return os.environ[name]


def demo_username(slug: str) -> str:
    return f"leasing@{slug}.demo.test"


def feed_one(sandbox_url: str, n: int) -> str:
    """Post one renter inquiry on one replica (round robin); return what was posted."""
    slug = PlatformSlug.values[n % len(PlatformSlug.values)]
    listing = LISTINGS[n % len(LISTINGS)]
    renter = random.choice(RENTERS)
    body = INQUIRIES[n % len(INQUIRIES)]
    SandboxClient(sandbox_url).seed_message(
        slug,
        demo_username(slug),
        renter_name=renter,
        body=body,
        listing_ref=listing["ref"],
        listing_title=listing["title"],
    )
    return f"{slug}: {renter}: {body}"


class Command(BaseCommand):
    help = "Create demo accounts on the sandbox, demo users, listings, units and availability."

    #: This run's password of each demo user, by user name (set by ``handle``; shown once).
    passwords: dict[str, str]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sandbox-url", default=os.environ.get("LEASEBOT_SANDBOX_URL", "http://127.0.0.1:8765"))
        parser.add_argument(
            "--no-print-passwords",
            action="store_true",
            help="Do not print the demo users' new passwords (a caller such as run_stack reads Command.passwords).",
        )
        parser.add_argument("--send-mode", choices=["auto_send", "draft_only"], default="auto_send")
        parser.add_argument("--inquiries", type=int, default=5, help="Inquiries to post at once.")
        parser.add_argument(
            "--profile",
            choices=["realistic", "plain"],
            default="realistic",
            help="How the replicas show messages: as the real sites do (realistic, seeded) or exactly as typed.",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="The realism profile's seed (replays the same rendering)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        client = SandboxClient(opts["sandbox_url"])
        try:
            client.health()
        except (SandboxClientError, OSError) as exc:
            raise CommandError(f"the sandbox at {opts['sandbox_url']} does not answer: {exc}") from exc
        self.passwords = demo_passwords()
        with transaction.atomic():
            users = self._users(self.passwords)
            accounts = self._accounts(client)
            for account in accounts:
                client.set_profile(account.platform.slug, account.username, opts["profile"], seed=opts["seed"])
            for account in accounts:
                account_grant(user=users["agent"], account=account)
            self._listings(users["agent"])
            settings_update(actor=None, default_send_mode=opts["send_mode"], rollout_stage="full", reason="demo set-up")
            self._demo_pacing()
        for i in range(opts["inquiries"]):
            feed_one(opts["sandbox_url"], i)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready: {len(accounts)} sandbox accounts ({opts['profile']} replicas), "
                f"send mode {opts['send_mode']}, stage full"
            )
        )
        if not opts["no_print_passwords"]:
            # Shown once, here on the console; the database keeps only the hashes.
            for role, password in self.passwords.items():
                self.stdout.write(f"  {role:<6} password: {password}")

    def _demo_pacing(self) -> None:
        """Ingest every 10 s and send every 5 s, so the demo shows the loop within a minute."""
        for task, seconds in (("dispatch.ingest_platform", 10), ("dispatch.send_platform", 5)):
            every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
            PeriodicTask.objects.filter(task=task).update(interval=every, expire_seconds=seconds * 2)

    def _users(self, passwords: dict[str, str]) -> dict[str, Any]:
        user_model = get_user_model()
        users = {}
        for role in DEMO_USERS:
            user, _ = user_model.objects.get_or_create(username=role, defaults={"email": f"{role}@demo.test"})
            user.set_password(passwords[role])
            user.is_staff = role in {"admin", "ops"}
            user.is_superuser = role == "admin"
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[role] = user
        return users

    def _accounts(self, client: SandboxClient) -> list[PlatformAccount]:
        accounts = []
        for slug in PlatformSlug.values:
            username = demo_username(slug)
            zone = DEMO_TIME_ZONES.get(slug, "")
            try:
                answer = client.create_account(
                    slug, username, _platform_password(slug), display_name="Demo Leasing", time_zone=zone
                )
            except SandboxClientError:
                # Seeded before on this sandbox: keep its account (and its password in our env).
                answer = client.set_time_zone(slug, username, zone)
            fields: dict[str, Any] = {
                "username": username,
                "credential_ref": f"env:SANDBOX_{slug.upper()}_PASSWORD",
                "base_url": client.base_url(slug),
                "is_active": True,
                "send_mode": "",
                "disabled_reason": "",
                "needs_operator_login": False,
                "circuit_state": "closed",
                "ingest_cursor": None,
                "login_method": "password",
                "mailbox_ref": "",
                "time_zone": zone,
            }
            if answer.get("mailbox_url"):
                # Only a creation answers with it; a re-seed keeps what our environment holds.
                os.environ["SANDBOX_FURNISHEDFINDER_MAILBOX"] = answer["mailbox_url"]
            if slug == PlatformSlug.FURNISHEDFINDER:
                fields.update(
                    login_method="email_code", mailbox_ref="env:SANDBOX_FURNISHEDFINDER_MAILBOX", credential_ref=""
                )
            platform = Platform.objects.get(slug=slug)
            Platform.objects.filter(pk=platform.pk).update(is_active=True)
            account, _ = PlatformAccount.objects.update_or_create(platform=platform, label=DEMO_LABEL, defaults=fields)
            # A fresh sandbox numbers threads from 1: clear what the last demo left behind.
            DeadLetter.objects.filter(account=account).delete()
            DispatchAttempt.objects.filter(account=account).delete()
            OutboundMessage.objects.filter(account=account).delete()
            Conversation.objects.filter(account=account).delete()
            accounts.append(account)
        return accounts

    def _listings(self, agent: Any) -> None:
        platforms = list(Platform.objects.all())
        for spec in LISTINGS:
            listing, _ = Listing.objects.update_or_create(title=spec["title"], defaults={"address": spec["address"]})
            unit, _ = Unit.objects.update_or_create(
                listing=listing,
                name=spec["unit"],
                defaults={
                    "address": spec["address"],
                    "rent": spec["rent"],
                    "deposit": spec["deposit"],
                    "available_from": timezone.localdate() + timedelta(days=14),
                    "pets_policy": spec["pets"],
                    "parking": spec["parking"],
                    "timezone": "America/New_York",
                    "min_lease_months": 3,
                    "bedrooms": 1,
                    "application_url": f"https://apply.example.test/{spec['ref'].lower()}",
                },
            )
            for platform in platforms:
                ListingRef.objects.update_or_create(
                    platform=platform, external_ref=spec["ref"], defaults={"listing": listing}
                )
            UnitAssignment.objects.update_or_create(unit=unit, agent=agent, defaults={"is_primary": True})
            if not AvailabilityRule.objects.filter(unit=unit).exists():
                for weekday in range(6):
                    AvailabilityRule.objects.create(
                        unit=unit, kind="weekly", weekday=weekday, start_time=time(10), end_time=time(19)
                    )
        if not AvailabilityRule.objects.filter(agent=agent).exists():
            for weekday in range(6):
                AvailabilityRule.objects.create(
                    agent=agent, kind="weekly", weekday=weekday, start_time=time(9), end_time=time(18)
                )
