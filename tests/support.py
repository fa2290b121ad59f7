"""Waiting on results, not on the clock: the poll helpers every test uses.

A test that needs something to happen elsewhere (a worker, a subprocess, a browser, a
server thread) waits for the result itself with :func:`eventually`, never for a fixed
time. The timeouts are generous on purpose: they only bound a test that is already failing,
so a slow, shared machine makes a passing test slower, never red.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

from amqp.exceptions import ChannelError
from django.test import Client, override_settings
from kombu import Connection

T = TypeVar("T")

#: Long enough for a real worker or Chromium on a loaded two-core machine; a pass never waits for it.
DEFAULT_TIMEOUT = 60.0


def poll(predicate: Callable[[], T], *, timeout: float, interval: float = 0.1) -> T | None:
    """Call ``predicate`` until it returns a truthy value (returned) or ``timeout`` passes (``None``).

    For the few places where not getting there is itself allowed (a chaos scenario injects
    its fault wherever the fleet has got to); everything else uses :func:`eventually`.
    The predicate is always called once more after the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def eventually(
    predicate: Callable[[], T],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.1,
    detail: Callable[[], Any] | None = None,
) -> T:
    """Return ``predicate()``'s first truthy value; fail naming ``what`` if none came within ``timeout``.

    ``detail`` is called only on failure, for what helps diagnose it (a worker's log, say).
    An exception raised by the predicate propagates at once (a subprocess that died, say).
    """
    value = poll(predicate, timeout=timeout, interval=interval)
    if value:
        return value
    message = f"timed out after {timeout:g}s waiting for {what}"
    if detail is not None:
        message += f"\n{detail()}"
    raise AssertionError(message)


#: For Playwright's ``page.wait_for_function``: true once every image on the page has loaded or
#: failed (its ``load``/``error`` handlers have run: the state and the event change in one task)
#: and every framed document has loaded (its scripts have run). A page without images or frames
#: is settled at once.
PAGE_SETTLED_JS = """() => {
  const images = Array.from(document.images).every((img) => img.complete);
  const frames = Array.from(document.querySelectorAll('iframe[src], iframe[srcdoc]')).every((frame) => {
    const doc = frame.contentDocument;  // null for a cross-origin frame, which cannot reach this page
    return doc === null || (doc.URL !== 'about:blank' && doc.readyState === 'complete');
  });
  return images && frames;
}"""


def settle_page(page: Any, timeout_ms: float = DEFAULT_TIMEOUT * 1000) -> None:
    """Wait until every handler an image or frame of ``page`` could fire has had its chance.

    A test that asserts that no script ran waits on this instead of a fixed pause: once it
    holds, an ``onerror``/``onload`` payload that was going to run has run.
    """
    page.wait_for_load_state("networkidle")
    page.wait_for_function(PAGE_SETTLED_JS, timeout=timeout_ms)


def free_ports(count: int = 1) -> list[int]:
    """Return ``count`` distinct loopback ports that were free a moment ago.

    Racy by nature (another process may take a port before the server binds it): only for a
    server started as a subprocess that can neither bind port 0 and report it nor be handed a
    socket (``redis-server``, ``manage.py run_stack``). A server in this process binds port 0.
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


#: The bearer token :func:`scrape_metrics` sends, as Prometheus's scrape config does.
METRICS_TOKEN = "test-scrape-token"


def scrape_metrics() -> str:
    """Return ``GET /metrics`` as Prometheus reads it: with the bearer token (anonymous gets 401)."""
    with override_settings(LEASEBOT_METRICS_TOKEN=METRICS_TOKEN):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").get("/metrics")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def broker_depth(url: str, queue: str) -> int:
    """Return the jobs waiting on a Redis broker queue, over every priority list.

    Kombu's Redis transport keeps one list per priority step (ingest jobs go under a lower
    priority than sends, ``dispatch.enqueue.PRIORITY``), so ``LLEN queue`` alone counts only
    the jobs of the highest; the passive declare sums them all (as ``dispatch.queues`` does).
    """
    with Connection(url) as connection:
        try:
            return int(connection.default_channel.queue_declare(queue=queue, passive=True).message_count)
        except ChannelError:  # Nobody declared it yet (no job was ever published to it): empty.
            return 0
