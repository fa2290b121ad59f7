"""``manage.py operator_login``: a person finishes a login the bot cannot (social sign-in, e-mailed code).

Headed (``--headed``, needs a screen): a real browser window opens on the platform's login
page with a persistent profile; the person signs in however the site asks; when the inbox
shows, the session is saved where the workers load it from.

Headless (default): the command runs the login form itself and asks the person only for
what it cannot know, the one-time code from their e-mail (``--code`` or typed at the
prompt). Password accounts simply log in and save the session.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from platforms.browser import LAUNCH_ARGS, get_runtime, launch_options
from platforms.connectors.errors import ConnectorError
from platforms.connectors.registry import connector_classes
from platforms.guard import Guard
from platforms.management.commands._accounts import find_account
from platforms.services import account_update_policy


class Command(BaseCommand):
    help = "Log in to a platform account with a person's help and save the session the workers reuse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", help="Account id, or platform/label.")
        parser.add_argument("--headed", action="store_true", help="Open a visible browser window (needs a display).")
        parser.add_argument("--timeout", type=int, default=600, help="Seconds to wait for the person (default 600).")
        parser.add_argument(
            "--code", default="", help="The one-time code from the e-mail (otherwise asked at the prompt)."
        )
        parser.add_argument(
            "--reactivate",
            action="store_true",
            help="Switch the account back on afterwards (clears 'needs operator login').",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        account, config = find_account(opts["account"])
        cls = connector_classes()[config.platform]
        self.stdout.write(f"operator login for {account} ({config.username}) at {config.base_url}")
        if opts["headed"]:
            self.headed(config, cls, opts)
        else:
            connector = cls(
                config, runtime=get_runtime(), guard=Guard(account_id=config.account_id, platform=config.platform)
            )
            if config.login_method == "operator":
                raise CommandError(
                    "this account signs in with a social login: run again with --headed on a machine with a screen"
                )
            provider = None
            if config.login_method == "email_code":
                provider = self.code_prompt(config.username, opts["code"])
            try:
                connector.interactive_login(code_provider=provider)
            except ConnectorError as exc:
                raise CommandError(f"login failed: {exc.error_class}: {exc.message}") from None
        where = get_runtime().state_location(config.platform, config.account_id)
        self.stdout.write(self.style.SUCCESS(f"LOGGED IN. Session saved in {where}; the workers will reuse it."))
        if opts["reactivate"]:
            account_update_policy(account_id=account.pk, actor=None, is_active=True, reason="operator login completed")
            self.stdout.write("The account is switched on again.")
        elif not account.is_active or account.needs_operator_login:
            self.stdout.write(
                f"Note: the account is switched off ({account.disabled_reason or 'no reason given'}). "
                "Switch it on in the admin or rerun with --reactivate."
            )

    def code_prompt(self, username: str, given: str) -> Any:
        def provide() -> str:
            if given:
                return given
            if not sys.stdin or not sys.stdin.isatty():
                line = sys.stdin.readline() if sys.stdin else ""
                if not line.strip():
                    raise CommandError("no code given: pass --code or type it at the prompt")
                return line.strip()
            return input(f"Enter the one-time code e-mailed to {username}: ")

        self.stdout.write(f"A one-time code will be e-mailed to {username}.")
        return provide

    def headed(self, config: Any, cls: Any, opts: dict[str, Any]) -> None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise CommandError(
                "--headed needs a display (run on a desktop, or under xvfb-run with VNC); or drop --headed"
            )
        runtime = get_runtime()
        markers = cls.locators.elements["session.marker"].candidates
        login_url = config.base_url.rstrip("/") + cls.locators.urls["login"]
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(runtime.profile_dir(config.platform, config.account_id)),
                headless=False,
                args=list(LAUNCH_ARGS),
                **launch_options(settings.LEASEBOT_BROWSER, playwright),
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                page.goto(login_url)
                self.stdout.write("")
                self.stdout.write(self.style.WARNING(f">>> A browser window is open at {login_url}"))
                self.stdout.write(f">>> Log in as {config.username} and finish every step the site asks for.")
                self.stdout.write(f">>> Waiting up to {opts['timeout']} s for the logged-in page...")
                deadline = time.monotonic() + opts["timeout"]
                while time.monotonic() < deadline:
                    if any(page.locator(m).count() > 0 for m in markers):
                        runtime.write_state(config.platform, config.account_id, dict(context.storage_state()))
                        return
                    page.wait_for_timeout(2000)
                raise CommandError("timed out waiting for the login to finish; nothing saved")
            finally:
                context.close()
