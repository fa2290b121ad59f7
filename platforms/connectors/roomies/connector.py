"""Roomies: a Laravel login form, Alpine-rendered threads, and replies that show up late."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from platforms.connectors.base import Inbound
from platforms.connectors.roomies import parsing
from platforms.connectors.roomies.locators import LOCATORS
from platforms.connectors.web import BrowserConnector, ThreadRow


class RoomiesConnector(BrowserConnector):
    platform = "roomies"
    locators = LOCATORS

    def full_login(self, code_provider: Callable[[], str] | None = None) -> None:
        self.password_login()

    def inbox_row(self, raw: Mapping[str, str | None]) -> ThreadRow:
        # The inbox shows only "2 hours ago": no exact time, so every thread is opened.
        ref = self.parse_or_drift(parsing.thread_ref, raw["href"], "inbox.rows.href")
        return ThreadRow(thread_ref=ref, last_activity=None, sender_name=raw.get("sender") or "")

    def thread_message(
        self, thread_ref: str, raw: Mapping[str, str | None], context: Mapping[str, str | None]
    ) -> Inbound:
        data = self.parse_or_drift(parsing.component_data, raw["data"], "thread.messages.data")
        href = context.get("listing_href") or ""
        sender = data.get("user") or {}
        return Inbound(
            thread_ref=thread_ref,
            message_ref=str(data["id"]),
            sender_name=str(sender.get("name", "")) if isinstance(sender, dict) else "",
            body=str(data["content"]),
            sent_at=self.parse_or_drift(
                parsing.parse_time, str(data.get("createdAt", "")), "thread.messages.createdAt"
            ),
            direction="out" if data.get("isSender") else "in",
            listing_ref=parsing.listing_ref(href),
            listing_url=self.absolute(href),
            listing_title=context.get("listing_title") or "",
        )
