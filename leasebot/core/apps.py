"""Cross-cutting pieces: the audit log and the beat heartbeat."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ``core`` app: audit trail and liveness of the scheduler."""

    name = "leasebot.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the login-throttle signal receivers.
        from leasebot.core import throttle  # noqa: F401
