"""Roomies: a Laravel login form, Alpine-rendered threads, and replies that show up late."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from platforms.connectors.base import Direction, Inbound
from platforms.connectors.roomies import parsing
from platforms.connectors.roomies.locators import LOCATORS
from platforms.connectors.web import BrowserConnector, ThreadRow


class RoomiesConnector(BrowserConnector):
    platform = "roomies"
    locators = LOCATORS
    dates = parsing.DATES

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        # The inbox shows only "2 hours ago" (or "2h"): a thread is skipped only if that is surely before the cursor.
        ref = self.parse_or_drift(parsing.thread_ref, raw["href"], "inbox.rows.href")
        when = self.activity_or_drift(raw.get("ago"), "inbox.rows.ago")
        return ThreadRow(thread_ref=ref, last_activity=when, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        data = self.parse_or_drift(lambda _: parsing.message_fields(raw), "", "thread.messages.data")
        href = context.get("listing_href") or ""
        sender = data.get("user") or {}
        side: Direction = "out" if data.get("isSender") else "in"
        return Inbound(
            thread_ref=thread_ref,
            message_ref=str(data["id"]),
            sender_name=str(sender.get("name", "")) if isinstance(sender, dict) else "",
            body=str(data["content"]),
            sent_at=self.sent_at_or_drift(str(data.get("createdAt", "")), "thread.messages.createdAt"),
            direction=side,
            sender_handle=parsing.renter_handle(data, context.get("profile_href")) if side == "in" else "",
            listing_ref=parsing.listing_ref(href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
