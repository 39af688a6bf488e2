"""API representations of regions and islands."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Island, Region


@extend_schema_field(
    {"type": "object", "nullable": True, "additionalProperties": True,
     "description": "Batas wilayah yang disederhanakan (GeoJSON geometry); hanya di detail atau dengan "
                    "`?geometry=web`; null bila belum ada."}
)
class GeoJSONTextField(serializers.Field):
    """A GeoJSON text column rendered as a JSON object (null when empty). Output only."""

    def to_representation(self, value: str) -> Any:
        return json.loads(value) if value else None

    def to_internal_value(self, data: Any) -> str:
        raise serializers.ValidationError("read-only")


class RegionSerializer(serializers.ModelSerializer):
    """A region by dotted Kemendagri code. `geometry_web` only in detail or with `?geometry=web`."""

    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True)
    has_boundary = serializers.BooleanField(read_only=True, help_text="Batas wilayah resmi tersedia")
    # Not read_only so the schema lists it as optional: lists leave it out.
    geometry_web = GeoJSONTextField(required=False)

    class Meta:
        model = Region
        fields = ["code", "level", "parent", "name", "province_code", "lat", "lng", "centroid_source",
                  "has_boundary", "geometry_web"]
        read_only_fields = ["code", "level", "parent", "name", "province_code", "lat", "lng", "centroid_source",
                            "has_boundary"]

    def get_fields(self):
        fields = super().get_fields()
        # The deferred column is never touched when it is not wanted (no per-row query).
        if not self.context.get("with_geometry", True):
            fields.pop("geometry_web")
        return fields


class IslandSerializer(serializers.ModelSerializer):
    regency = serializers.CharField(source="regency_id", read_only=True, allow_null=True)

    class Meta:
        model = Island
        fields = ["code", "regency", "name", "lat", "lng", "is_populated", "is_outermost_small"]
        read_only_fields = fields
