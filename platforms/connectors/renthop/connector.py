"""RentHop: a login form guarded by an ``_xsrf`` double-submit cookie, then the leads dashboard."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from platforms.connectors.base import Inbound
from platforms.connectors.renthop import parsing
from platforms.connectors.renthop.locators import LOCATORS
from platforms.connectors.web import BrowserConnector, ThreadRow


class RentHopConnector(BrowserConnector):
    platform = "renthop"
    locators = LOCATORS
    dates = parsing.DATES

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        when = self.activity_or_drift(parsing.shown_time(raw.get("ts"), raw.get("time_text")), "inbox.rows.ts")
        return ThreadRow(thread_ref=str(raw["thread_ref"]), last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        href = context.get("listing_href") or ""
        side = self.parse_or_drift(
            lambda classes: parsing.direction(classes, raw.get("dir")), raw["classes"], "thread.messages.classes"
        )
        return Inbound(
            thread_ref=thread_ref,
            message_ref=str(raw["id"]),
            sender_name=raw.get("sender") or "",
            body=raw["body"] or "",
            sent_at=self.sent_at_or_drift(
                parsing.shown_time(raw.get("ts"), raw.get("time_text")), "thread.messages.ts"
            ),
            direction=side,  # type: ignore[arg-type]
            listing_ref=parsing.listing_ref(context.get("listing_id"), href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
