"""App configuration for platforms."""

from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    """The platforms app."""

    name = "platforms"
    default_auto_field = "django.db.models.BigAutoField"
