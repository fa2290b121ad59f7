"""The composition root as an app: it wires what needs every layer (the reference-data seeder)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeasebotConfig(AppConfig):
    """Listed last in INSTALLED_APPS; it owns no models."""

    name = "leasebot"
    label = "leasebot"

    def ready(self) -> None:
        from leasebot.seed import on_post_migrate

        post_migrate.connect(on_post_migrate, dispatch_uid="leasebot.seed_reference_data")
