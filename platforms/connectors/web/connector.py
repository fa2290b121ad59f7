"""The browser connector every platform subclasses: the layers of this package, stacked.

Each layer is one concern and builds on the one below:

- :class:`~platforms.connectors.web.driver.PageDriver`: the account, its page, URLs, failure bookkeeping;
- :class:`~platforms.connectors.web.blocks.GuardedPage`: actions through the guard, block detection;
- :class:`~platforms.connectors.web.elements.ElementFinder`: locators, extraction, drift;
- :class:`~platforms.connectors.web.session.SessionFlow`: session reuse, login, storage state;
- :class:`~platforms.connectors.web.read.InboxReader`: the inbox walk and thread reading;
- :class:`~platforms.connectors.web.send.ReplySender`: the send, its confirmation, ``find_sent``.
"""

from __future__ import annotations

from platforms.connectors.web.send import ReplySender


class BrowserConnector(ReplySender):
    """A connector that drives a real browser page through the guard.

    A platform subclasses it with its ``platform`` slug, its
    :class:`~platforms.connectors.locators.LocatorMap`, its :meth:`full_login`, and the
    parsing of its rows and messages (:meth:`inbox_row`, :meth:`thread_message`).
    """
