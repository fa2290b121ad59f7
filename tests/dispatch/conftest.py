"""Fixtures for dispatch tests: an in-memory platform wired in as the connector factory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dispatch import connectors
from platforms.models import BotSettings
from tests.dispatch.fakes import FakePlatform


@pytest.fixture
def fake_platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    platform = FakePlatform()
    connectors.use_factory(platform.factory)
    monkeypatch.setattr(connectors, "circuit_state", lambda account_id: "closed")
    yield platform
    connectors.use_factory(None)


@pytest.fixture
def auto_send(db) -> None:  # type: ignore[no-untyped-def]
    """Global auto-send at the full stage: the bot sends on its own."""
    BotSettings.objects.filter(pk=1).update(default_send_mode="auto_send", rollout_stage="full")
