"""The Celery application shared by every worker, beat and the web process."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Celery
from celery.signals import celeryd_after_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leasebot.settings")

app = Celery("leasebot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


#: The queue whose jobs read renters' messages and decide on them (``dispatch``'s ingest).
DECIDING_QUEUE = "rpa"


@celeryd_after_setup.connect
def warm_deciding_worker(sender: str, instance: Any, **kwargs: Any) -> None:
    """A worker that consumes the ``rpa`` queue loads the language dictionaries before its processes fork.

    Without it each process loads them on its first decision (seconds), so the first renters to
    write after a deploy waited for that; a ``default`` worker never decides and skips it.
    """
    if DECIDING_QUEUE not in instance.app.amqp.queues.consume_from:
        return
    # Imported here: this module is imported by every process, web and beat included, before Django is set up.
    from inbox.language import warm_up

    started = time.monotonic()
    warm_up()
    logging.getLogger(__name__).info("%s: language dictionaries loaded in %.1f s", sender, time.monotonic() - started)
