"""Sending: type the reply, click once, and accept nothing but the reply seen in the thread.

Everything up to the click runs through the guard and may be retried; the click is the
point of no return. After it, a visible confirmation (the new message, from our side,
with the same body) is the only success: a rejection the site states is
:class:`~platforms.connectors.errors.Permanent`, anything else is
:class:`~platforms.connectors.errors.OutcomeUnknown`, and the click is never repeated.
:meth:`ReplySender.find_sent` reads a thread back to settle such an unknown outcome.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlparse

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PlaywrightResponse

from platforms.connectors.base import Receipt
from platforms.connectors.errors import ConnectorError, OutcomeUnknown, Permanent
from platforms.connectors.web.blocks import clean_error
from platforms.connectors.web.read import InboxReader

#: Slack when matching a sent reply's platform time against the attempt's start
#: (platform clocks, and times shown to the minute or second).
FIND_SENT_TOLERANCE = timedelta(minutes=2)


def normalize_body(text: str) -> str:
    """Compare bodies as platforms show them: line endings and runs of whitespace do not count."""
    return re.sub(r"\s+", " ", text.replace("\r\n", "\n")).strip()


class ReplySender(InboxReader):
    """Send a reply once and confirm it; read a thread back for a reply whose outcome is unknown."""

    def send_message(self, thread_ref: str, body: str) -> Receipt:
        """Post ``body`` once; confirm it in the thread. After the click, never a second try."""
        if not body.strip():
            raise Permanent(f"{self.platform}: refusing to send an empty message", **self._extra())
        before = self.guard.run(
            lambda: self._prepare_reply(thread_ref, body), refresh=self._refresh, name="send.prepare"
        )
        button = self.require("reply.submit")
        self.guard.before_action(request=True)
        # The point of no return: from the click on, any failure is an unknown outcome.
        try:
            with self.page.expect_navigation(wait_until="domcontentloaded") as navigation:
                button.click()
            response = navigation.value
        except PlaywrightError as exc:
            self._save_failure("send-unconfirmed")
            raise OutcomeUnknown(
                f"{self.platform}: no answer after the send click ({clean_error(exc)})",
                **self._extra(thread=thread_ref),
            ) from None
        try:
            self._check_send_response(response)
            receipt = self.confirm_sent(thread_ref, body, before)
        except (OutcomeUnknown, Permanent):
            raise
        except ConnectorError as exc:
            self.guard.record_failure(exc)
            raise OutcomeUnknown(
                f"{self.platform}: send not confirmed ({exc.error_class})",
                **self._extra(thread=thread_ref, cause=exc.error_class),
            ) from exc
        except PlaywrightError as exc:
            raise OutcomeUnknown(
                f"{self.platform}: send not confirmed ({clean_error(exc)})", **self._extra(thread=thread_ref)
            ) from None
        self.guard.record_success()
        self.runtime.save_state(self.platform, self.config.account_id)
        return receipt

    def _prepare_reply(self, thread_ref: str, body: str) -> set[str]:
        """Open the thread, note the messages already there, and type the reply (nothing sent yet)."""
        self._ensure_thread_session(thread_ref)
        existing = {m.message_ref for m in self.read_thread(thread_ref)}
        self.fill(self.require("reply.body"), body)
        self.require("reply.submit")
        return existing

    def _ensure_thread_session(self, thread_ref: str) -> None:
        """Open the thread, logging in first if the platform asks; a thread that is gone is permanent."""
        response = self.goto(self.url("thread", thread_ref=thread_ref), allow_login=True)
        if self.is_login_url(self.page.url):
            self._login_now()
            response = self.goto(self.url("thread", thread_ref=thread_ref))
        if response is not None and response.status in (404, 410):
            raise Permanent(
                f"{self.platform}: thread not found", **self._extra(thread=thread_ref, status=response.status)
            )

    def _check_send_response(self, response: PlaywrightResponse | None) -> None:
        """Judge the page after the click: a 4xx is a refusal, a 5xx an unknown outcome, the rest the guard's."""
        status = response.status if response is not None else None
        if status is not None and 400 <= status < 500 and status not in (401, 403, 429):
            self._save_failure("send-rejected")
            raise Permanent(
                f"{self.platform}: the platform rejected the message (HTTP {status})", **self._extra(status=status)
            )
        if status is not None and status >= 500:
            self._save_failure("send-unconfirmed")
            raise OutcomeUnknown(
                f"{self.platform}: the confirmation page failed (HTTP {status})", **self._extra(status=status)
            )
        self._inspect(response, allow_login=False)

    def confirm_sent(self, thread_ref: str, body: str, before: set[str]) -> Receipt:
        """Find the new message in the thread after the send (Roomies overrides: it polls)."""
        if self._path_of(self.page.url) != self._path_of(
            self.url("thread", thread_ref=thread_ref)
        ) or not self._query_matches(thread_ref):
            self.goto(self.url("thread", thread_ref=thread_ref))
        receipt = self._match_new(thread_ref, body, before)
        if receipt is None:
            self._save_failure("send-unconfirmed")
            raise OutcomeUnknown(
                f"{self.platform}: the reply is not in the thread after sending", **self._extra(thread=thread_ref)
            )
        return receipt

    def _query_matches(self, thread_ref: str) -> bool:
        """Say whether the page's query string names the thread (platforms with ``?id=`` thread URLs)."""
        expected = urlparse(self.url("thread", thread_ref=thread_ref)).query
        return not expected or expected in urlparse(self.page.url).query

    def _match_new(self, thread_ref: str, body: str, before: set[str]) -> Receipt | None:
        """Return the receipt of our reply with this body that was not in the thread before the click."""
        wanted = normalize_body(body)
        for message in reversed(self.read_thread(thread_ref)):
            if (
                message.direction == "out"
                and message.message_ref not in before
                and normalize_body(message.body) == wanted
            ):
                return Receipt(thread_ref=thread_ref, message_ref=message.message_ref, sent_at=message.sent_at)
        return None

    def find_sent(self, thread_ref: str, body: str, after: datetime) -> Receipt | None:
        """Read the thread back; return the receipt of ``body`` sent from our side at or after ``after``."""
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")

        def op() -> Receipt | None:
            self._ensure_thread_session(thread_ref)
            wanted = normalize_body(body)
            for message in self.read_thread(thread_ref):
                if (
                    message.direction == "out"
                    and message.sent_at >= after - FIND_SENT_TOLERANCE
                    and normalize_body(message.body) == wanted
                ):
                    return Receipt(thread_ref=thread_ref, message_ref=message.message_ref, sent_at=message.sent_at)
            return None

        return self.guard.run(op, refresh=self._refresh, name="find_sent")
