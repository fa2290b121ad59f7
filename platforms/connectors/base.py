"""The connector contract every platform implements.

Connectors never import Django models: they take frozen dataclasses in and give frozen
dataclasses out, so they can be tested against the sandbox, against saved HTML, or by
``connector_check`` without a database row in sight.
"""

from __future__ import annotations

import abc
import dataclasses
from datetime import datetime
from typing import ClassVar, Literal

Direction = Literal["in", "out"]


@dataclasses.dataclass(frozen=True)
class AccountConfig:
    """What a connector needs to know about one platform account.

    ``credential_ref`` and ``mailbox_ref`` are references (``env:NAME``), resolved only at
    the moment of login, never stored resolved.
    """

    account_id: int
    platform: str
    base_url: str
    username: str
    credential_ref: str
    login_method: str = "password"  # "password", "email_code" or "operator"
    mailbox_ref: str = ""


@dataclasses.dataclass(frozen=True)
class Inbound:
    """One message seen in a platform thread (a renter's, or one sent from our side)."""

    thread_ref: str
    message_ref: str
    sender_name: str
    body: str
    sent_at: datetime
    direction: Direction = "in"
    sender_handle: str = ""
    listing_ref: str = ""
    listing_url: str = ""
    listing_title: str = ""


@dataclasses.dataclass(frozen=True)
class Receipt:
    """The platform's proof that a reply went out."""

    thread_ref: str
    message_ref: str
    sent_at: datetime


class Connector(abc.ABC):
    """One platform's implementation of login, read, send and read-back."""

    platform: ClassVar[str]

    @abc.abstractmethod
    def login(self) -> None:
        """Reuse the stored session; run the full login only when it is gone."""

    @abc.abstractmethod
    def fetch_new_messages(self, since: datetime | None) -> list[Inbound]:
        """Return every message newer than ``since``, across all inbox pages, oldest first."""

    @abc.abstractmethod
    def send_message(self, thread_ref: str, body: str) -> Receipt:
        """Post ``body`` in the thread and return the platform's receipt."""

    @abc.abstractmethod
    def find_sent(self, thread_ref: str, body: str, after: datetime) -> Receipt | None:
        """Read the thread back and return the receipt of ``body`` if it was sent after ``after``."""
