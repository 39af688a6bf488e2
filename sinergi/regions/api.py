"""API v1: regions (by dotted Kemendagri code) and islands. Read-only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from sinergi.core.api_permissions import HasAction

from .filters import IslandFilter, RegionFilter
from .selectors_api import island_list, region_detail_queryset, region_list
from .serializers import IslandSerializer, RegionSerializer

_geometry_param = OpenApiParameter(
    "geometry", OpenApiTypes.STR, enum=["web"],
    description="`web`: sertakan batas wilayah yang disederhanakan (geometry_web) di setiap baris",
)


@extend_schema_view(
    list=extend_schema(parameters=[_geometry_param],
                       description="Wilayah tanpa geometri; `?geometry=web` menambahkan geometry_web di setiap baris."),
    retrieve=extend_schema(description="Satu wilayah menurut kode Kemendagri bertitik, dengan geometry_web."),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, HasAction]
    required_action = "region.view"
    lookup_field = "code"
    lookup_value_regex = r"[0-9.]+"
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    ordering_fields = ["code", "name", "level"]
    ordering = ["code"]

    def _with_geometry(self) -> bool:
        return self.action == "retrieve" or self.request.query_params.get("geometry") == "web"

    def get_queryset(self):
        if self.action == "retrieve":
            return region_detail_queryset(user=self.request.user)
        return region_list(user=self.request.user, geometry="web" if self._with_geometry() else None)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["with_geometry"] = getattr(self, "swagger_fake_view", False) or self._with_geometry()
        return context


class IslandViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, HasAction]
    required_action = "region.view"
    serializer_class = IslandSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filterset_class = IslandFilter
    ordering_fields = ["code", "name", "regency"]
    ordering = ["code"]

    def get_queryset(self):
        return island_list(user=self.request.user)


def register(router) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("islands", IslandViewSet, basename="island")
