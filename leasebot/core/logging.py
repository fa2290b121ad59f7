"""Log context: every line carries account, platform, conversation and dispatch key.

Jobs bind the context with :func:`log_context`; the filter copies it onto each record,
so the JSON formatter emits it as fields. Only ids go here, never personal data.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("leasebot_log_context", default=None)

CONTEXT_KEYS = ("account", "platform", "conversation", "dispatch_key", "stage")


@contextlib.contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind ids to every log line written inside the block."""
    current = dict(_context.get() or {})
    current.update({k: v for k, v in values.items() if v is not None})
    token = _context.set(current)
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copy the bound context onto the record (as attributes and as one ``context`` string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get() or {}
        for key in CONTEXT_KEYS:
            if not hasattr(record, key):
                setattr(record, key, ctx.get(key))
        record.context = " ".join(f"{k}={v}" for k, v in ctx.items()) if ctx else ""
        return True
