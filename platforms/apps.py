"""App configuration for platforms."""

from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    """The platforms app: accounts, policies, connectors, the browser, the guard and the sandbox."""

    name = "platforms"
    default_auto_field = "django.db.models.BigAutoField"
