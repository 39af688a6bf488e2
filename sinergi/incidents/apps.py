from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "sinergi.incidents"
    label = "incidents"
