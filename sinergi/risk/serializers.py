"""API serializers of vulnerability mapping."""

from __future__ import annotations

from rest_framework import serializers

from .models import Assessment, Indicator, Observation, RegionAssessment, RiskModel, RiskModelWeight


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "code", "name", "name_en", "scope", "group", "group_name", "group_name_en", "value_type",
                  "cap", "default_weight", "direction", "source_agency", "reason_text", "description", "order",
                  "is_active"]


class ObservationSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    tps_code = serializers.CharField(source="polling_station.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Observation
        fields = ["id", "indicator", "polling_station", "tps_code", "region", "value", "observed_on", "unit",
                  "reported_by", "evidence_text", "evidence_file", "source", "is_demo", "created_at"]
        read_only_fields = ["unit", "reported_by", "evidence_file", "source", "is_demo", "created_at"]


class ObservationCreateSerializer(serializers.Serializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    polling_station = serializers.IntegerField(required=False, allow_null=True)
    region = serializers.CharField(required=False, allow_blank=True)
    value = serializers.CharField(help_text="ya/tidak, a count, a share 0-1 or an index 0-100")
    observed_on = serializers.DateField()
    evidence_text = serializers.CharField(required=False, allow_blank=True, default="")


class WeightSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code")

    class Meta:
        model = RiskModelWeight
        fields = ["indicator", "weight", "cap"]


class RiskModelSerializer(serializers.ModelSerializer):
    weights = WeightSerializer(many=True, read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RiskModel
        fields = ["id", "election", "version", "name", "notes", "status", "based_on", "missing_rule", "min_coverage",
                  "tps_cut_rawan", "tps_cut_sangat_rawan", "region_cut_sedang", "region_cut_tinggi",
                  "incident_radius_km", "incident_window_days", "incident_half_life_days", "incident_cap",
                  "incident_weight", "published_by", "published_at", "last_computed_at", "summary", "weights"]
        read_only_fields = ["election", "version", "status", "based_on", "published_by", "published_at",
                            "last_computed_at", "summary"]


class RiskModelUpdateSerializer(serializers.Serializer):
    weights = serializers.DictField(child=serializers.FloatField(), required=False)


class AssessmentSerializer(serializers.ModelSerializer):
    tps_code = serializers.CharField(source="polling_station.code", read_only=True)
    model_version = serializers.IntegerField(source="model.version", read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "polling_station", "tps_code", "model", "model_version", "score", "tier", "coverage",
                  "low_coverage", "incident_points", "top", "dimensions", "is_demo", "computed_at"]


class RegionAssessmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = RegionAssessment
        fields = ["id", "region", "name", "level", "model", "score", "tier", "basis", "ikp_score", "tps_mean_score",
                  "tps_total", "tps_scored", "n_kurang_rawan", "n_rawan", "n_sangat_rawan", "dimensions", "is_demo",
                  "computed_at"]
