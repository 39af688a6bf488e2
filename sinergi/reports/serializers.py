from __future__ import annotations

from rest_framework import serializers

from .models import ReportFile, SituationReport


class ReportFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportFile
        fields = ["format", "language", "sha256", "size", "created_at"]


class SituationReportSerializer(serializers.ModelSerializer):
    scope_unit_code = serializers.CharField(source="scope_unit.code", read_only=True)
    scope_unit_name = serializers.CharField(source="scope_unit.name", read_only=True)
    election = serializers.CharField(source="election.code", read_only=True)
    files = ReportFileSerializer(many=True, read_only=True)

    class Meta:
        model = SituationReport
        fields = ["id", "election", "scope_unit", "scope_unit_code", "scope_unit_name", "region_code",
                  "report_date", "version", "kind", "status", "period_start", "period_end", "requested_at",
                  "generated_at", "content_sha256", "previous", "files"]


class SituationReportDetailSerializer(SituationReportSerializer):
    class Meta(SituationReportSerializer.Meta):
        fields = [*SituationReportSerializer.Meta.fields, "content", "error"]


class GenerateInput(serializers.Serializer):
    scope_unit = serializers.IntegerField(required=False, help_text="Unit id (Polda or Polres); default: widest "
                                                                    "unit the user may generate for")
