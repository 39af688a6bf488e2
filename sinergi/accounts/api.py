"""API v1: the unit directory (every signed-in user) and unit strength (only units in the caller's scope)."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from sinergi.core.api_permissions import HasAction

from .filters import UnitFilter, UnitStrengthFilter
from .models import Unit
from .selectors import unit_list, unit_strength_list
from .serializers import UnitSerializer, UnitStrengthSerializer


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Units of every agency with their jurisdiction (region codes). Strength is at /unit-strengths/."""

    permission_classes = [IsAuthenticated, HasAction]
    required_action = "unit.view"
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    ordering_fields = ["path", "code", "name", "level"]
    ordering = ["path"]

    def get_queryset(self):
        return unit_list(user=self.request.user).prefetch_related(
            # the jurisdiction's model through the relation: accounts sits below regions in the layers
            Prefetch("jurisdiction", queryset=Unit._meta.get_field("jurisdiction").related_model.objects.only("code"))
        )


class UnitStrengthViewSet(viewsets.ReadOnlyModelViewSet):
    """Personnel strength by type, only for units in the caller's scope (admins: all)."""

    permission_classes = [IsAuthenticated, HasAction]
    required_action = "unit.view_strength"
    serializer_class = UnitStrengthSerializer
    filterset_class = UnitStrengthFilter
    ordering_fields = ["unit__path", "personnel_type", "count"]
    ordering = ["unit__path", "personnel_type"]

    def get_queryset(self):
        return unit_strength_list(user=self.request.user)


def register(router) -> None:
    router.register("units", UnitViewSet, basename="unit")
    router.register("unit-strengths", UnitStrengthViewSet, basename="unit-strength")
