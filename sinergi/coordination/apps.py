from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "sinergi.coordination"
    label = "coordination"

    def ready(self):
        from sinergi.core import audit_scope

        from .choices import Marking
        from .models import ActionItem, Meeting, SharedNote
        from .selectors import visible_q

        def _readable(model):
            # Only readers of the full record see its audit events (a summary-only reader does not).
            return lambda user: model.objects.filter(visible_q(user, model))

        def _restricted(model):
            def ids(object_ids: list[str]) -> set[str]:
                pks = [int(i) for i in object_ids if i.isdigit()]
                return {str(pk) for pk in model.objects.filter(pk__in=pks).exclude(
                    marking__in=[Marking.CLEAR, Marking.GREEN]).values_list("pk", flat=True)}
            return ids

        for model in (Meeting, ActionItem, SharedNote):
            audit_scope.register(model._meta.label_lower, readable=_readable(model), restricted=_restricted(model))
