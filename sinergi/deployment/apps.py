from django.apps import AppConfig


class DeploymentConfig(AppConfig):
    name = "sinergi.deployment"
    label = "deployment"
