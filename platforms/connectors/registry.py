"""Choose a platform's connector class and build it with the process's browser runtime and a guard."""

from __future__ import annotations

from platforms.browser import BrowserRuntime, get_runtime
from platforms.connectors.base import AccountConfig, Connector
from platforms.connectors.furnishedfinder.connector import FurnishedFinderConnector
from platforms.connectors.healing import LocatorMemory
from platforms.connectors.leasebreak.connector import LeasebreakConnector
from platforms.connectors.renthop.connector import RentHopConnector
from platforms.connectors.roomies.connector import RoomiesConnector
from platforms.connectors.spareroom.connector import SpareRoomConnector
from platforms.connectors.web import BrowserConnector
from platforms.guard import Guard


def connector_classes() -> dict[str, type[BrowserConnector]]:
    """Return the connector class of each platform slug."""
    classes: tuple[type[BrowserConnector], ...] = (
        SpareRoomConnector,
        RoomiesConnector,
        LeasebreakConnector,
        RentHopConnector,
        FurnishedFinderConnector,
    )
    return {cls.platform: cls for cls in classes}


def build_connector(
    config: AccountConfig,
    *,
    runtime: BrowserRuntime | None = None,
    guard: Guard | None = None,
    memory: LocatorMemory | None = None,
) -> Connector:
    """Return the connector for ``config.platform``, on this process's browser unless one is given.

    Building is cheap and starts nothing: the browser launches on the first page the
    connector opens. ``memory`` keeps fingerprints and healing events and supplies the
    accepted locator overrides (``platforms.healing``); without it nothing heals.
    """
    try:
        cls = connector_classes()[config.platform]
    except KeyError:
        raise ValueError(f"no connector for platform {config.platform!r}") from None
    return cls(
        config,
        runtime=runtime if runtime is not None else get_runtime(),
        guard=guard if guard is not None else Guard(account_id=config.account_id, platform=config.platform),
        memory=memory,
    )
