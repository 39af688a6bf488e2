"""`manage.py incidents_load_defaults`: (re)load the shipped taxonomy, deadline rules, holidays, routing."""

from django.core.management.base import BaseCommand

from sinergi.core.services import audit_log
from sinergi.incidents.defaults import load


class Command(BaseCommand):
    help = "Load the shipped incident taxonomy, deadline rules, holidays and routing rules."

    def handle(self, *args, **opts):
        counts = load()
        audit_log(actor=None, action="incident.defaults_loaded", data=counts)
        self.stdout.write(str(counts))
