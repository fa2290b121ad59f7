"""Furnished Finder: passwordless login (e-mail, then a one-time code read over IMAP)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from django.conf import settings

from platforms.connectors.base import Inbound
from platforms.connectors.errors import NeedsOperatorLogin
from platforms.connectors.furnishedfinder import parsing
from platforms.connectors.furnishedfinder.locators import LOCATORS
from platforms.connectors.mailbox import read_login_code
from platforms.connectors.web import BrowserConnector, ThreadRow


class FurnishedFinderConnector(BrowserConnector):
    platform = "furnishedfinder"
    locators = LOCATORS
    dates = parsing.DATES

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        """Ask for a code by e-mail and type it in; the code comes from the mailbox unless a person gives it."""
        if code_provider is None and not self.config.mailbox_ref:
            raise NeedsOperatorLogin(
                "furnishedfinder: no mailbox to read the login code from; an operator must log in", **self._extra()
            )
        self.goto(self.url("login"), allow_login=True)
        if not self.is_login_url(self.page.url) and self.exists("session.marker"):
            return
        self.fill(self.require("login.username"), self.config.username)
        requested_at = datetime.now(tz=UTC)
        self.submit(self.require("login.submit"), allow_login=True, action="login")
        code_field = self.find("login.code", required=False)
        if code_field is None:
            self.login_failed()
            return
        if code_provider is not None:
            code = code_provider().strip()
        else:
            code = read_login_code(
                self.config.mailbox_ref,
                sent_after=requested_at,
                sender_contains=self.locators.facts["code_sender"],
                code_pattern=self.locators.facts["code_pattern"],
                timeout=float(settings.LEASEBOT_LOGIN_CODE_TIMEOUT_S),
                poll=0.5,
            )
        self._secrets = (*self._secrets, code)
        self.fill(code_field, code, secret=True)
        self.submit(self.require("login.code_submit"), allow_login=True, action="login code")

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        ref = self.parse_or_drift(
            lambda _: parsing.thread_ref(raw.get("thread_ref"), raw.get("href")), "", "inbox.rows.thread_ref"
        )
        when = self.activity_or_drift(raw.get("time"), "inbox.rows.time")
        return ThreadRow(thread_ref=ref, last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        href = context.get("listing_href") or ""
        side = parsing.direction(f"{raw.get('classes') or ''} {raw.get('side') or ''}")
        profile_href = raw.get("profile_href") or context.get("profile_href")
        return Inbound(
            thread_ref=thread_ref,
            message_ref=self.parse_or_drift(
                lambda _: parsing.message_ref(raw.get("id"), raw.get("message_id")), "", "thread.messages.id"
            ),
            sender_name=raw.get("sender") or "",
            body=raw["body"] or "",
            sent_at=self.sent_at_or_drift(
                parsing.shown_time(raw.get("time_iso"), raw.get("time")), "thread.messages.time"
            ),
            direction=side,  # type: ignore[arg-type]
            sender_handle=parsing.renter_handle(profile_href) if side == "in" else "",
            listing_ref=parsing.listing_ref(href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
