"""App configuration for dispatch."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    """The dispatch app (the worker layer); its receivers take part in the inbox's erasures."""

    name = "dispatch"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dispatch import receivers  # noqa: F401 - importing connects the receivers (models are loaded now).
