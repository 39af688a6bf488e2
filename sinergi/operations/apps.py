from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "sinergi.operations"
    label = "operations"
    verbose_name = "Operasi hari pemungutan suara"

    def ready(self) -> None:
        from . import sms
        from .cache import connect_signals

        connect_signals()
        sms.register()  # TPS check-ins by SMS, taken by the incidents SMS webhook through sinergi.core.sms
