from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "sinergi.personnel"
    verbose_name = "Personel"

    def ready(self) -> None:
        from sinergi.core.providers import provide

        from . import selectors

        provide("personnel.tps_guards", selectors.tps_guards)  # read by the operations TPS page
