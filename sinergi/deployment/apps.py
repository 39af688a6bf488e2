from django.apps import AppConfig


class DeploymentConfig(AppConfig):
    name = "sinergi.deployment"
    label = "deployment"

    def ready(self):
        from sinergi.core.services import register_taskrun_state_handler

        from .services import PLAN_KIND, plan_follow_run

        register_taskrun_state_handler(PLAN_KIND, plan_follow_run)
