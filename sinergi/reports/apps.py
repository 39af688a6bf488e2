from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "sinergi.reports"
    label = "reports"
    verbose_name = "Laporan situasi harian"
