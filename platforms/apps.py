"""App configuration for platforms."""

from django.apps import AppConfig

from platforms import signals


class PlatformsConfig(AppConfig):
    """The platforms app: accounts, policies, connectors, the browser, the guard and the sandbox."""

    name = "platforms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the platform's process hooks (Chromium closes with its Celery worker process)."""
        signals.connect()
