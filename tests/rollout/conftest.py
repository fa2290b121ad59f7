"""Gate minimum samples small enough that a scenario of ten rows can be judged."""

from __future__ import annotations

import pytest

from tests.factories import PlatformAccountFactory


@pytest.fixture(autouse=True)
def small_gate_samples(settings):  # type: ignore[no-untyped-def]
    settings.LEASEBOT_GATE_MIN_SENDS = 10
    settings.LEASEBOT_GATE_MIN_ATTEMPTS = 10
    settings.LEASEBOT_GATE_MIN_DRAFTS = 10
    settings.LEASEBOT_GATE_MIN_REVIEWED = 10
    return settings


@pytest.fixture
def auto_account(db):  # type: ignore[no-untyped-def]
    """An auto-send account, not canary."""
    return PlatformAccountFactory(label="auto", send_mode="auto_send")


@pytest.fixture
def canary_account(db):  # type: ignore[no-untyped-def]
    """An auto-send account marked canary."""
    return PlatformAccountFactory(label="canary", send_mode="auto_send", is_canary=True)
