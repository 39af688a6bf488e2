from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "sinergi.exercises"
    label = "exercises"
    verbose_name = "Latihan pra operasi"
