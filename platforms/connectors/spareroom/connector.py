"""SpareRoom: password form with a script-read CSRF token behind a cookie banner."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from platforms.connectors.base import Inbound
from platforms.connectors.spareroom import parsing
from platforms.connectors.spareroom.locators import LOCATORS
from platforms.connectors.web import BrowserConnector, ThreadRow


class SpareRoomConnector(BrowserConnector):
    platform = "spareroom"
    locators = LOCATORS

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        # The page's own script copies div#userAuth's data-csrf-token into the form on
        # submit, so a real click (after the cookie banner) is all it takes.
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        when = self.parse_or_drift(parsing.parse_time, raw["date"], "inbox.rows.date") if raw.get("date") else None
        return ThreadRow(thread_ref=str(raw["thread_ref"]), last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        href = context.get("listing_href") or ""
        return Inbound(
            thread_ref=thread_ref,
            message_ref=self.parse_or_drift(parsing.message_ref, raw["id"], "thread.messages.id"),
            sender_name=raw.get("sender") or "",
            body=raw["body"] or "",
            sent_at=self.parse_or_drift(parsing.parse_time, raw["date"], "thread.messages.date"),
            direction=self.parse_or_drift(parsing.direction, raw["classes"], "thread.messages.classes"),  # type: ignore[arg-type]
            listing_ref=parsing.listing_ref(href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
