"""App configuration for platforms."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlatformsConfig(AppConfig):
    """The platforms app; it keeps the reference data (platforms, roles, schedules) in place."""

    name = "platforms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from platforms.seed import on_post_migrate

        post_migrate.connect(on_post_migrate, dispatch_uid="platforms.seed_reference_data")
