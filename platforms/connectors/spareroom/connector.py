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
    dates = parsing.DATES

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        # The page's own script copies div#userAuth's data-csrf-token into the form on
        # submit, so a real click (after the cookie banner) is all it takes.
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        # "Today" or "Yesterday" without a time: the row is skipped only if surely older than the cursor.
        when = self.activity_or_drift(raw.get("date"), "inbox.rows.date")
        return ThreadRow(thread_ref=str(raw["thread_ref"]), last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        href = context.get("listing_href") or ""
        side = self.parse_or_drift(parsing.direction, raw["classes"], "thread.messages.classes")
        return Inbound(
            thread_ref=thread_ref,
            message_ref=self.parse_or_drift(parsing.message_ref, raw["id"], "thread.messages.id"),
            sender_name=raw.get("sender") or "",
            body=raw["body"] or "",
            sent_at=self.sent_at_or_drift(raw["date"], "thread.messages.date"),
            direction=side,  # type: ignore[arg-type]
            sender_handle=parsing.renter_handle(raw.get("profile_href")) if side == "in" else "",
            listing_ref=parsing.listing_ref(href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
