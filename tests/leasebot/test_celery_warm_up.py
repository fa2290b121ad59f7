"""A worker that decides loads the language dictionaries at its start, before its processes fork."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery import Celery

from inbox import language
from leasebot import celery as celery_module


def _worker(*queues: str) -> SimpleNamespace:
    """What ``celeryd_after_setup`` passes as ``instance``, its app's queues selected as ``-Q`` does."""
    app = Celery("warm-up-test", set_as_current=False)
    app.conf.task_default_queue = "default"
    app.amqp.queues.select(list(queues))
    return SimpleNamespace(app=app)


@pytest.mark.parametrize(("queues", "warmed"), [(("rpa",), True), (("default",), False), (("default", "rpa"), True)])
def test_only_a_worker_of_the_deciding_queue_loads_the_dictionaries(
    monkeypatch: pytest.MonkeyPatch, queues: tuple[str, ...], warmed: bool
) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(language, "warm_up", lambda: calls.append(True))

    celery_module.warm_deciding_worker(sender="worker@test", instance=_worker(*queues), conf=None)

    assert calls == ([True] if warmed else [])
