"""API v1: the audit log (scoped) and the current user (delivery over core's audit chain and accounts)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.selectors import is_global, scope_units
from sinergi.accounts.serializers import MeSerializer
from sinergi.core import audit_scope
from sinergi.core.api_permissions import HasAction
from sinergi.core.filters import AuditEventFilter
from sinergi.core.models import AuditEvent
from sinergi.core.permissions import has_perm
from sinergi.core.serializers import AuditEventSerializer


def audit_event_list(*, user) -> QuerySet[AuditEvent]:
    """Audit events the user may read: all for admins; for other `audit.view` holders, events of records they
    may read (registered types, see core/audit_scope.py) and otherwise events of units in their scope."""
    if not has_perm(user, "audit.view"):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.select_related("unit")
    if is_global(user):
        return qs
    return qs.filter(audit_scope.readable_q(user, Q(unit__in=scope_units(user))))


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The append-only, hash-chained audit log (newest first by default)."""

    permission_classes = [IsAuthenticated, HasAction]
    required_action = "audit.view"
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    lookup_field = "seq"
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ["seq", "created_at"]
    ordering = ["-seq"]

    def get_queryset(self):
        return audit_event_list(user=self.request.user)

    def get_serializer(self, *args, **kwargs):
        # Free text of restricted records is redacted on the way out (old events still carry it).
        if args:
            instances = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
            kwargs.setdefault("context", self.get_serializer_context())["redact"] = \
                audit_scope.restricted_keys(instances)
        return super().get_serializer(*args, **kwargs)


class MeViewSet(viewsets.ViewSet):
    """The signed-in user: unit, role and the actions the role allows."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def list(self, request):
        return Response(MeSerializer(request.user).data)


def register(router) -> None:
    router.register("audit-events", AuditEventViewSet, basename="audit-event")
    router.register("me", MeViewSet, basename="me")
