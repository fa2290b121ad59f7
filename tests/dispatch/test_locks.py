"""The per-account Redis lock: one holder, extend and release by the holder only, Redis outages tolerated."""

from __future__ import annotations

import logging

import pytest
import redis
from django.conf import settings

from dispatch import locks
from dispatch.locks import account_lock

KEY = "leasebot:lock:account:{}"


@pytest.fixture
def app_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def dead_redis() -> redis.Redis:
    """A client on a port nothing listens on: every command is a connection error."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, socket_timeout=0.5)


def test_one_holder_at_a_time_and_free_again_after_release(app_redis: redis.Redis) -> None:
    with account_lock(7, ttl_s=30) as held:
        assert held is not None
        assert 28_000 < app_redis.pttl(KEY.format(7)) <= 30_000
        with account_lock(7) as second:
            assert second is None
        with account_lock(8) as other_account:
            assert other_account is not None
    assert not app_redis.exists(KEY.format(7))
    with account_lock(7) as again:
        assert again is not None


def test_the_default_ttl_comes_from_settings(app_redis: redis.Redis, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEASEBOT_ACCOUNT_LOCK_TTL_S = 45
    with account_lock(7) as held:
        assert held is not None
        assert held.ttl_s == 45
        assert 43_000 < app_redis.pttl(KEY.format(7)) <= 45_000


def test_extend_restores_the_full_ttl(app_redis: redis.Redis) -> None:
    with account_lock(7, ttl_s=30) as held:
        assert held is not None
        app_redis.pexpire(KEY.format(7), 1_000)
        assert held.extend() is True
        assert app_redis.pttl(KEY.format(7)) > 28_000


def test_a_lost_lock_is_neither_extended_nor_released_from_its_new_holder(app_redis: redis.Redis) -> None:
    with account_lock(7, ttl_s=30) as held:
        assert held is not None
        # The TTL ran out while this job was paused, and another job took the lock.
        app_redis.delete(KEY.format(7))
        with account_lock(7, ttl_s=30) as newer:
            assert newer is not None
            assert held.extend() is False
            held.release()
            assert app_redis.exists(KEY.format(7))
            assert newer.extend() is True
    assert not app_redis.exists(KEY.format(7))


def test_extend_after_release_is_false() -> None:
    with account_lock(7, ttl_s=30) as held:
        assert held is not None
    assert held.extend() is False


def test_redis_down_while_held_costs_a_warning_not_the_job(
    app_redis: redis.Redis, dead_redis: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dispatch.locks")
    with account_lock(7, ttl_s=30) as held:
        assert held is not None
        held.lock.redis = dead_redis
        assert held.extend() is False
    # Leaving the block released nothing (Redis was down) and raised nothing; the TTL will clear it.
    assert app_redis.exists(KEY.format(7))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert messages == [
        "account lock leasebot:lock:account:7 could not be extended (redis unavailable)",
        "account lock leasebot:lock:account:7 could not be released (redis unavailable); it expires by itself",
    ]


def test_taking_the_lock_with_redis_down_fails_loudly(dead_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "redis_client", lambda: dead_redis)
    with pytest.raises(redis.ConnectionError), account_lock(7):
        pytest.fail("the lock must not be taken without Redis")


def test_a_held_lock_is_kept_alive_past_its_ttl_while_the_job_works(app_redis: redis.Redis) -> None:
    from tests.support import eventually

    with account_lock(7, ttl_s=1) as held:
        assert held is not None
        # when: the job works for several TTLs (the keep-alive extends every third of one)
        eventually(lambda: held.extensions >= 6, "six extensions, two TTLs")
        # then: the lock is still this job's, and no second job gets in
        assert app_redis.exists(KEY.format(7))
        assert held.lost is False
        with account_lock(7) as second:
            assert second is None
    # and once the job is done the keep-alive stops with the release
    assert not app_redis.exists(KEY.format(7))
    done = held.extensions
    assert held.extend() is False
    assert held.extensions == done


def test_without_keep_alive_the_lock_lapses_with_its_ttl(app_redis: redis.Redis) -> None:
    from tests.support import eventually

    with account_lock(7, ttl_s=1, keep_alive=False) as held:
        assert held is not None
        eventually(lambda: not app_redis.exists(KEY.format(7)), "the lock to lapse")
        assert held.extensions == 0
