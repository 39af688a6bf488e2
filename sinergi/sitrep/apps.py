from django.apps import AppConfig


class SitrepConfig(AppConfig):
    name = "sinergi.sitrep"
    label = "sitrep"
    verbose_name = "Laporan situasi harian"
