"""The broker's queues as the health board and ``/metrics`` see them."""

from __future__ import annotations

from celery import current_app
from django.conf import settings


def queue_depths() -> dict[str, int]:
    """Return the number of messages in the default and the browser (``rpa``) queues; {} when the broker is down."""
    out: dict[str, int] = {}
    try:
        with current_app.connection_for_read() as connection:
            channel = connection.default_channel
            for queue in (settings.CELERY_TASK_DEFAULT_QUEUE, "rpa"):
                try:
                    out[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
                except Exception:  # noqa: BLE001 - a queue nobody declared yet holds nothing.
                    out[queue] = 0
    except Exception:  # noqa: BLE001 - metrics must not fail the scrape when the broker is away.
        return {}
    return out
