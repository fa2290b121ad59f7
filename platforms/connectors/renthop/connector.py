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

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        when = self.parse_or_drift(parsing.parse_epoch, raw["ts"], "inbox.rows.ts") if raw.get("ts") else None
        return ThreadRow(thread_ref=str(raw["thread_ref"]), last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        href = context.get("listing_href") or ""
        return Inbound(
            thread_ref=thread_ref,
            message_ref=str(raw["id"]),
            sender_name=raw.get("sender") or "",
            body=raw["body"] or "",
            sent_at=self.parse_or_drift(parsing.parse_epoch, raw["ts"], "thread.messages.ts"),
            direction=self.parse_or_drift(parsing.direction, raw["classes"], "thread.messages.classes"),  # type: ignore[arg-type]
            listing_ref=parsing.listing_ref(context.get("listing_id"), href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
