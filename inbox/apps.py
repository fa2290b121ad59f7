"""App configuration for inbox."""

from django.apps import AppConfig


class InboxConfig(AppConfig):
    """The inbox app; its receivers hold the queued replies of stopped accounts."""

    name = "inbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from inbox import receivers  # noqa: F401 - importing connects the receivers (models are loaded now).
