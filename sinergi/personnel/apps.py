from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "sinergi.personnel"
    verbose_name = "Personel"
