"""How the worker gets a connector for an account.

One browser runtime per worker process (launched lazily, after Celery's fork), one
context per account inside it. Tests may install another factory (for example one bound
to an in-process sandbox) with :func:`use_factory`.
"""

from __future__ import annotations

from collections.abc import Callable

from platforms import guard
from platforms.connectors.base import Connector
from platforms.connectors.registry import build_connector
from platforms.healing import locator_memory
from platforms.models import PlatformAccount
from platforms.selectors import account_config

ConnectorFactory = Callable[[PlatformAccount], Connector]

_factory: ConnectorFactory | None = None


def _default_factory(account: PlatformAccount) -> Connector:
    # With the database memory: fingerprints kept, locators healed, accepted overrides applied.
    return build_connector(account_config(account), memory=locator_memory())


def use_factory(factory: ConnectorFactory | None) -> None:
    """Install a connector factory for this process (None restores the default)."""
    global _factory
    _factory = factory


def connector_for(account: PlatformAccount) -> Connector:
    """Return the connector the worker uses for an account."""
    return (_factory or _default_factory)(account)


def circuit_state(account_id: int) -> str:
    """Return the guard's circuit state for an account (shared through Redis)."""

    return guard.circuit_state(account_id)
