from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "sinergi.logistics"
    label = "logistics"
    verbose_name = "Pengawalan logistik"

    def ready(self) -> None:
        from sinergi.core.providers import provide

        from . import selectors

        # read by the operations TPS page, live feed and dashboard (operations sits below logistics)
        provide("logistics.movement_list", selectors.movement_list)
        provide("logistics.escort_summary", selectors.escort_summary)
