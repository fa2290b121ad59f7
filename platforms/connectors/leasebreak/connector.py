"""Leasebreak: a Rails site (Devise sign-in with an authenticity token the form carries)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from platforms.connectors.base import Inbound
from platforms.connectors.leasebreak import parsing
from platforms.connectors.leasebreak.locators import LOCATORS
from platforms.connectors.web import BrowserConnector, ThreadRow


class LeasebreakConnector(BrowserConnector):
    platform = "leasebreak"
    locators = LOCATORS
    dates = parsing.DATES

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        when = self.activity_or_drift(
            parsing.shown_time(raw.get("updated"), raw.get("updated_text")), "inbox.rows.updated"
        )
        ref = self.parse_or_drift(
            lambda _: parsing.ref(raw.get("thread_ref"), raw.get("dom_id"), "conversation_dom_id"),
            "",
            "inbox.rows.thread_ref",
        )
        return ThreadRow(thread_ref=ref, last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        href = context.get("listing_href") or ""
        return Inbound(
            thread_ref=thread_ref,
            message_ref=self.parse_or_drift(
                lambda _: parsing.ref(raw.get("id"), raw.get("dom_id"), "message_dom_id"), "", "thread.messages.id"
            ),
            sender_name=raw.get("sender") or "",
            body=raw["body"] or "",
            sent_at=self.sent_at_or_drift(
                parsing.shown_time(raw.get("time"), raw.get("time_text")), "thread.messages.time"
            ),
            direction=self.parse_or_drift(parsing.direction, raw["classes"], "thread.messages.classes"),  # type: ignore[arg-type]
            listing_ref=parsing.listing_ref(href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
