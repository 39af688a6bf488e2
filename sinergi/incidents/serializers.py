"""API serializers. The reporter's identity is never serialised here; it has its own audited endpoint."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .choices import Channel
from .models import MAX_TEXT, Category, Deadline, Incident, Report, TimelineEntry
from .services import ReportInput


class ReportInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100, help_text=_("kunci idempotensi dari klien (mis. UUID)"))
    text = serializers.CharField(max_length=MAX_TEXT)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    tps_code = serializers.RegexField(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{3}$", required=False, allow_blank=True)
    place = serializers.CharField(max_length=255, required=False, allow_blank=True)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.filter(active=True),
                                            required=False, allow_null=True)
    severity = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    reporter_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    reporter_contact = serializers.CharField(max_length=120, required=False, allow_blank=True)

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lat": _("lintang dan bujur harus diisi bersama")})
        code = attrs.get("tps_code")
        if code:
            from .location import tps_lookup

            if tps_lookup(code) is None:
                raise serializers.ValidationError({"tps_code": _("kode TPS tidak dikenal")})
        return attrs

    def to_input(self, channel: str = Channel.API) -> ReportInput:
        d = self.validated_data
        cat = d.get("category")
        return ReportInput(key=d["key"], text=d["text"], channel=channel, occurred_at=d.get("occurred_at"),
                           lat=d.get("lat"), lng=d.get("lng"), tps_code=d.get("tps_code") or "",
                           place_text=d.get("place") or "", category_hint=cat.code if cat else "",
                           severity_hint=d.get("severity"), reporter_name=d.get("reporter_name") or "",
                           reporter_contact=d.get("reporter_contact") or "")


class BatchInSerializer(serializers.Serializer):
    reports = serializers.ListField(child=serializers.DictField(), max_length=10000, allow_empty=False)


class ReportOutSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    suggested_category = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Report
        fields = ["id", "idempotency_key", "channel", "received_at", "occurred_at", "text", "lat", "lng",
                  "tps_code", "place_text", "processing", "location_status", "location_method", "category",
                  "suggested_category", "suggestion_probability", "incident", "anonymous"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "violation", "agency_code", "co_agencies", "handler",
                  "default_severity", "acled_event_type", "acled_sub_event_type", "deadline_codes"]


class IncidentListSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    assigned_unit = serializers.CharField(source="assigned_unit.code", read_only=True, default=None)

    class Meta:
        model = Incident
        fields = ["id", "title", "category", "severity", "status", "occurred_at", "first_reported_at",
                  "last_reported_at", "lat", "lng", "region", "regency_code", "location_status", "agency_code",
                  "assigned_unit", "report_count", "escalation_level", "acknowledged_at", "merged_into"]


class TimelineSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ["at", "kind", "actor_repr", "note", "data"]


class DeadlineSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.code")
    name = serializers.CharField(source="rule.name")

    class Meta:
        model = Deadline
        fields = ["rule", "name", "starts_at", "due_at", "extended", "met_at", "escalated_at"]


class IncidentDetailSerializer(IncidentListSerializer):
    timeline = TimelineSerializer(many=True, read_only=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    reports = ReportOutSerializer(many=True, read_only=True)
    tps = serializers.CharField(source="tps.code", read_only=True, default=None)

    class Meta(IncidentListSerializer.Meta):
        fields = [*IncidentListSerializer.Meta.fields, "description", "tps", "timeline", "deadlines", "reports"]


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    unit = serializers.CharField(required=False, allow_blank=True, help_text=_("kode satuan (untuk penugasan)"))


class UpdateSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all(), required=False)
    severity = serializers.IntegerField(min_value=1, max_value=4, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MergeSerializer(serializers.Serializer):
    target = serializers.IntegerField()


class SplitSerializer(serializers.Serializer):
    reports = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
