"""What every browser connector shares: navigation through the guard, locators, the read and send flows.

A platform's connector (``platforms/connectors/<slug>/connector.py``) supplies its
:class:`~platforms.connectors.locators.LocatorMap`, its login flow and the parsing of
its rows and messages; everything else (session reuse, pagination, drift detection,
the send's point of no return, read-back) lives here once, one concern per module
(:mod:`~platforms.connectors.web.connector` lists them).

Failure rules (docs/architecture.md, Errors):

- every failure is one of :mod:`platforms.connectors.errors`, never a bare exception;
- an inbox with neither rows nor its "no messages" marker is :class:`SelectorDrift`,
  never an empty result;
- after the send button is clicked, nothing but a visible confirmation is success:
  anything else is :class:`OutcomeUnknown` (or :class:`Permanent` when the site says no),
  and the click is never repeated;
- passwords and codes never reach a message, a log line or a saved page.
"""

from __future__ import annotations

from platforms.connectors.web.connector import BrowserConnector
from platforms.connectors.web.elements import Extracted
from platforms.connectors.web.read import MAX_INBOX_PAGES, ThreadRow
from platforms.connectors.web.send import FIND_SENT_TOLERANCE, normalize_body

__all__ = ["FIND_SENT_TOLERANCE", "MAX_INBOX_PAGES", "BrowserConnector", "Extracted", "ThreadRow", "normalize_body"]
