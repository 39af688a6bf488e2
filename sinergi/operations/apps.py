from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "sinergi.operations"
    label = "operations"
    verbose_name = "Operasi hari pemungutan suara"

    def ready(self) -> None:
        from .cache import connect_signals

        connect_signals()
