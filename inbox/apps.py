"""App configuration for inbox."""

from django.apps import AppConfig


class InboxConfig(AppConfig):
    """The inbox app."""

    name = "inbox"
    default_auto_field = "django.db.models.BigAutoField"
