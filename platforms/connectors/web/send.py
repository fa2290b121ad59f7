"""Sending: type the reply, click once, and accept nothing but the reply seen in the thread.

Everything up to the click runs through the guard and may be retried; the click is the
point of no return. After it, a visible confirmation (one new message from our side that
:func:`platforms.textmatch.match` calls our reply, however the site renders it) is the only
success: a rejection the site states is :class:`~platforms.connectors.errors.Permanent`,
anything else is :class:`~platforms.connectors.errors.OutcomeUnknown`, and the click is
never repeated. Sites that show a new message late are polled for
``LEASEBOT_SEND_CONFIRM_TIMEOUT_S``. :meth:`ReplySender.find_sent` reads a thread back to
settle an unknown outcome, with the same matcher and the same verdicts.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PlaywrightResponse

from platforms import textmatch
from platforms.connectors.base import BeforeClick, Inbound, ReadBack, Receipt
from platforms.connectors.errors import ConnectorError, OutcomeUnknown, Permanent
from platforms.connectors.web.blocks import clean_error
from platforms.connectors.web.read import InboxReader

#: Slack when matching a sent reply's platform time against the attempt's start
#: (platform clocks, and times shown to the minute or second).
FIND_SENT_TOLERANCE = timedelta(minutes=2)

#: Earlier than any message: with only the new messages as the thread, all are candidates.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def normalize_body(text: str) -> str:
    """The canonical form replies are compared in (see :func:`platforms.textmatch.canonical`)."""
    return textmatch.canonical(text)


def _thread(messages: list[Inbound]) -> list[textmatch.ThreadMessage]:
    return [textmatch.ThreadMessage(m.message_ref, m.body, m.sent_at, m.direction) for m in messages]


class ReplySender(InboxReader):
    """Send a reply once and confirm it; read a thread back for a reply whose outcome is unknown."""

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Within this block (a send, a read-back), a locator that misses is proposed, never used.

        A healed element is a guess, fine for a read that is validated but not for a click
        that cannot be taken back: :meth:`~platforms.connectors.web.elements.ElementFinder.heal`
        raises :class:`~platforms.connectors.errors.HealingPending` instead. Accepted
        overrides are not guesses and are used as usual.
        """
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def send_message(self, thread_ref: str, body: str, *, before_click: BeforeClick | None = None) -> Receipt:
        """Post ``body`` once; confirm it in the thread. After the click, never a second try."""
        with self.holding():
            return self._send_message(thread_ref, body, before_click=before_click)

    def _send_message(self, thread_ref: str, body: str, *, before_click: BeforeClick | None = None) -> Receipt:
        if not body.strip():
            raise Permanent(f"{self.platform}: refusing to send an empty message", **self._extra())
        before = self.guard.run(
            lambda: self._prepare_reply(thread_ref, body), refresh=self._refresh, name="send.prepare"
        )
        button = self.require("reply.submit")
        if before_click is not None:
            before_click(sum(1 for m in before if m.direction == "out"))
        self.dismiss_overlays()  # Still before the point of no return: a modal must not eat the click.
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

    def _prepare_reply(self, thread_ref: str, body: str) -> list[Inbound]:
        """Open the thread, note the messages already there, and type the reply (nothing sent yet)."""
        self._ensure_thread_session(thread_ref)
        opened = self.page.url
        with self.resuming():
            # The whole thread: the outbound count taken here is what a read-back compares against.
            existing = self.read_thread(thread_ref)
            if self.page.url != opened:  # Older messages were on other pages: back to the reply form.
                self.goto(self.url("thread", thread_ref=thread_ref))
                self._wait_for_list()
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

    def confirm_sent(self, thread_ref: str, body: str, before: list[Inbound]) -> Receipt:
        """Find our reply among the thread's new messages; poll while none has appeared yet.

        One new message of ours that is the reply confirms it. Nothing new after
        ``LEASEBOT_SEND_CONFIRM_TIMEOUT_S`` (some sites show a message late), or something new
        that is not recognisably the reply, is an unknown outcome: never a second click.
        """
        timeout = float(settings.LEASEBOT_SEND_CONFIRM_TIMEOUT_S)
        interval = float(settings.LEASEBOT_SEND_CONFIRM_POLL_S)
        deadline = time.monotonic() + timeout
        if self._path_of(self.page.url) != self._path_of(
            self.url("thread", thread_ref=thread_ref)
        ) or not self._query_matches(thread_ref):
            self.goto(self.url("thread", thread_ref=thread_ref))
        while True:
            check = self._check_new(thread_ref, body, before)
            if check.receipt is not None:
                return check.receipt
            if check.verdict is not textmatch.Verdict.ABSENT or time.monotonic() + interval > deadline:
                self._save_failure("send-unconfirmed")
                raise OutcomeUnknown(
                    f"{self.platform}: the reply is not recognisably in the thread after sending ({check.check.reason})",
                    **self._extra(thread=thread_ref, verdict=check.verdict.value),
                )
            time.sleep(interval)  # The site shows new messages late: look again.
            self.goto(self.url("thread", thread_ref=thread_ref))

    def _query_matches(self, thread_ref: str) -> bool:
        """Say whether the page's query string names the thread (platforms with ``?id=`` thread URLs)."""
        expected = urlparse(self.url("thread", thread_ref=thread_ref)).query
        return not expected or expected in urlparse(self.page.url).query

    def _check_new(self, thread_ref: str, body: str, before: list[Inbound]) -> ReadBack:
        """Judge the messages that were not in the thread before the click (all of them are candidates)."""
        known = {m.message_ref for m in before}
        # New messages come after those read before the click: once one of those shows, the
        # older part (behind a "load earlier" control) holds nothing new.
        read = self.read_thread(thread_ref, stop=lambda part: any(m.message_ref in known for m in part))
        new = [m for m in read if m.message_ref not in known]
        check = textmatch.check_sent(body, _thread(new), claimed_at=_EPOCH, outbound_before=0, previews=False)
        return self._read_back(thread_ref, check, new)

    def _read_back(self, thread_ref: str, check: textmatch.SentCheck, messages: list[Inbound]) -> ReadBack:
        refs = {e.ref for e in check.evidence}
        candidates = tuple(m for m in messages if m.message_ref in refs)
        receipt = None
        if check.verdict is textmatch.Verdict.CONFIRMED:
            found = next(m for m in candidates if m.message_ref == check.ref)
            receipt = Receipt(thread_ref=thread_ref, message_ref=found.message_ref, sent_at=found.sent_at)
        return ReadBack(check=check, receipt=receipt, candidates=candidates)

    def find_sent(self, thread_ref: str, body: str, after: datetime, *, outbound_before: int | None = None) -> ReadBack:
        """Read the thread back and judge whether ``body`` went out from our side at or after ``after``.

        ``outbound_before`` (the thread's outbound count before the click, when the send job
        kept it) lets "nothing arrived" be told from "something we do not recognise arrived".
        """
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")

        def op() -> ReadBack:
            self._ensure_thread_session(thread_ref)
            with self.resuming():
                # The whole thread: outbound_before counted every outbound message, hidden or not.
                messages = self.read_thread(thread_ref)
            check = textmatch.check_sent(
                body,
                _thread(messages),
                claimed_at=after,
                outbound_before=outbound_before,
                tolerance=FIND_SENT_TOLERANCE,
                previews=False,  # A thread shows whole messages: a shorter one is another reply.
            )
            return self._read_back(thread_ref, check, messages)

        with self.holding():
            return self.guard.run(op, refresh=self._refresh, name="find_sent")
