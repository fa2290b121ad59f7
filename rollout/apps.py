"""App configuration for rollout."""

from django.apps import AppConfig


class RolloutConfig(AppConfig):
    """The rollout app."""

    name = "rollout"
    default_auto_field = "django.db.models.BigAutoField"
