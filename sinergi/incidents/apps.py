from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "sinergi.incidents"
    label = "incidents"

    def ready(self):
        from sinergi.core import audit_scope

        from .models import Report
        from .selectors import incident_list

        # Audit events of an incident (or of one of its reports) are read by whoever may read the incident.
        audit_scope.register("incidents.incident", readable=lambda user: incident_list(user=user))
        audit_scope.register("incidents.report", readable=lambda user: Report.objects.filter(
            incident__in=incident_list(user=user).values("pk")))
