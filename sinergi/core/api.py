"""API v1: the audit log (scoped) and the current user."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.permissions import has_perm
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.accounts.serializers import MeSerializer
from sinergi.api.permissions import HasAction

from .filters import AuditEventFilter
from .models import AuditEvent
from .serializers import AuditEventSerializer


def audit_event_list(*, user) -> QuerySet[AuditEvent]:
    """Audit events the user may read: all for admins; events of units in scope for other `audit.view` holders."""
    if not has_perm(user, "audit.view"):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.select_related("unit")
    if is_global(user):
        return qs
    return qs.filter(unit__in=scope_units(user))


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
