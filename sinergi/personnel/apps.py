from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "sinergi.personnel"
    verbose_name = "Personel"

    def ready(self) -> None:
        from sinergi.core.providers import provide

        from . import selectors
        from .choices import Status

        provide("personnel.tps_guards", selectors.tps_guards)  # read by the operations TPS page
        # the named officer behind a TPS check-in (operations check-in service, single and batch paths)
        provide("personnel.checkin_roster_officer", selectors.checkin_roster_officer)
        provide("personnel.checkin_roster_officers", selectors.checkin_roster_officers)
        provide("personnel.status_choices", lambda: list(Status.choices))  # the live room's status legend
