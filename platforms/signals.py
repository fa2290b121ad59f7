"""Process-lifetime hooks of the platform layer, connected by :meth:`PlatformsConfig.ready`.

A Celery prefork child keeps one Chromium for as long as it lives (see
:mod:`platforms.browser`); when the child ends, its browser, contexts and Playwright
thread go with it. ``atexit`` cannot do it there: billiard ends a forked child with
``os._exit``, which skips the interpreter's exit handlers.
"""

from __future__ import annotations

from celery.signals import worker_process_shutdown

from platforms.browser import close_runtime


def close_browser_on_worker_exit(**_: object) -> None:
    """Close this process's Chromium when the worker process ends (it lives as long as the process)."""
    close_runtime()


def connect() -> None:
    """Connect the hooks; safe to call more than once (each is connected under a fixed id)."""
    worker_process_shutdown.connect(
        close_browser_on_worker_exit, weak=False, dispatch_uid="platforms.close_browser_on_worker_exit"
    )
