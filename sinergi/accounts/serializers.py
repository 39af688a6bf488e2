"""API representations of units, their strength and the current user."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from .models import Unit, UnitStrength, User
from .permissions import MATRIX, has_perm


class UnitSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    parent_code = serializers.SerializerMethodField()
    jurisdiction = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "agency", "agency_name", "level", "parent", "parent_code", "path",
                  "jurisdiction", "note"]
        read_only_fields = fields

    def get_parent_code(self, obj: Unit) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text="Kode wilayah hukum"))
    def get_jurisdiction(self, obj: Unit) -> list[str]:
        # Reads the prefetched relation (see the view's queryset), so no per-row query.
        return sorted(region.pk for region in obj.jurisdiction.all())


class UnitStrengthSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    agency = serializers.CharField(source="unit.agency.code", read_only=True)

    class Meta:
        model = UnitStrength
        fields = ["id", "unit", "unit_code", "unit_name", "agency", "personnel_type", "count", "estimated",
                  "source"]
        read_only_fields = fields


@extend_schema_serializer(many=False)
class MeSerializer(serializers.ModelSerializer):
    """The signed-in user, their unit and role, and the actions they may perform."""

    unit = UnitSerializer(read_only=True, allow_null=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    display_label = serializers.CharField(read_only=True)
    # Empty when not set, so not an `email` format in the schema.
    email = serializers.CharField(read_only=True, allow_blank=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "rank", "staff_number", "display_label", "email",
                  "unit", "role", "role_display", "is_superuser", "permissions"]
        read_only_fields = fields

    def get_permissions(self, obj: User) -> list[str]:
        actions = set().union(*MATRIX.values())
        return sorted(action for action in actions if has_perm(obj, action))
