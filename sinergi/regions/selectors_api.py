"""Reads of regions and islands for the API. Region data is public within the system (`region.view`)."""

from __future__ import annotations

from django.db.models import BooleanField, Case, QuerySet, Value, When

from sinergi.core.permissions import has_perm

from .models import Island, Region

#: GeoJSON text columns, often hundreds of kilobytes per region: never loaded for lists unless asked.
GEOMETRY_FIELDS = ("geometry", "geometry_web")


def region_list(*, user, geometry: str | None = None) -> QuerySet[Region]:
    """Regions without their boundaries; `geometry="web"` also loads the simplified boundary.

    Each row carries `has_boundary` (whether a published boundary exists), computed in the database.
    """
    if not has_perm(user, "region.view"):
        return Region.objects.none()
    qs = Region.objects.annotate(
        has_boundary=Case(When(geometry="", then=Value(False)), default=Value(True), output_field=BooleanField())
    )
    if geometry == "web":
        return qs.defer("geometry")
    return qs.defer(*GEOMETRY_FIELDS)


def region_detail_queryset(*, user) -> QuerySet[Region]:
    """Queryset for one region with its simplified boundary (the full one stays in the database)."""
    return region_list(user=user, geometry="web")


def island_list(*, user) -> QuerySet[Island]:
    if not has_perm(user, "region.view"):
        return Island.objects.none()
    return Island.objects.all()
