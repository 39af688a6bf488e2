from rest_framework import serializers

from .models import GuardGroup, Plan, PlanUnit, Reinforcement, Reserve


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "name", "scenario", "election", "parameters", "input_hash", "status", "tier_source",
                  "metrics", "baseline", "created_at"]
        read_only_fields = ["input_hash", "status", "tier_source", "metrics", "baseline", "created_at"]


class PlanRunSerializer(serializers.Serializer):
    scenario = serializers.CharField(default="dasar")
    name = serializers.CharField(required=False, allow_blank=True, default="")
    parameters = serializers.DictField(required=False, default=dict)


class PlanUnitSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = PlanUnit
        fields = ["unit", "unit_code", "unit_name", "tps_by_tier", "strength", "deployable", "officers_required",
                  "officers_manual", "linmas", "groups", "groups_lower_bound", "groups_bound", "reinforcements_in",
                  "reinforcements_out", "shortfall"]


class GuardGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = GuardGroup
        fields = ["number", "unit", "polsek", "district_code", "tier", "tps_count", "officers", "linmas",
                  "post_lat", "post_lng", "max_travel_min"]


class ReinforcementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reinforcement
        fields = ["source_name", "source_kind", "source_unit", "to_unit", "count", "minutes", "route"]


class ReserveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reserve
        fields = ["kind", "district_code", "name", "lat", "lng", "team_size", "demand_count", "max_minutes",
                  "mean_minutes"]
