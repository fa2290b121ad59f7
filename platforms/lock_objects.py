"""Lock order for the platforms app.

Services that lock several rows lock them in this order, each kind by ascending pk, so
two transactions never wait on each other in a cycle:

1. ``BotSettings`` (the single row)
2. ``Platform``
3. ``PlatformAccount``
4. then, in the dispatch app: ``Conversation`` before ``OutboundMessage``.
"""

LOCK_ORDER = (
    "platforms.BotSettings",
    "platforms.Platform",
    "platforms.PlatformAccount",
    "inbox.Conversation",
    "dispatch.OutboundMessage",
)
