"""API serializers. The reporter's identity is never serialised here; it has its own audited endpoint."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .choices import Channel, IncidentStatus
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
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    suggested_category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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
    assigned_unit = serializers.CharField(source="assigned_unit.code", read_only=True, default=None, allow_null=True)

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
        fields = ["rule", "name", "starts_at", "due_at", "extended", "met_at", "met_agency", "override_reason",
                  "ended_at", "escalated_at"]


class IncidentDetailSerializer(IncidentListSerializer):
    timeline = TimelineSerializer(many=True, read_only=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    reports = ReportOutSerializer(many=True, read_only=True)
    tps = serializers.CharField(source="tps.code", read_only=True, default=None, allow_null=True)

    class Meta(IncidentListSerializer.Meta):
        fields = [*IncidentListSerializer.Meta.fields, "description", "tps", "timeline", "deadlines", "reports",
                  "out_of_area", "fatalities", "triage"]
        read_only_fields = ["out_of_area", "fatalities", "triage"]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=IncidentStatus.choices)
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


TPS_CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{3}$")
_STR_LIMITS = {"key": 100, "text": MAX_TEXT, "place": 255, "reporter_name": 120, "reporter_contact": 120,
               "tps_code": 24}


def batch_inputs(items: list, channel: str = Channel.API) -> list:
    """Validate a sync batch item by item, with the same rules as ReportInSerializer but without building a
    serializer per item (which costs ~1 ms each): returns a ReportInput, or {"key", "errors"}, per item.
    TPS codes and categories of the whole batch are looked up in one query each."""
    from sinergi.elections.models import PollingStation

    from .location import default_election
    from .models import Category

    codes = {i.get("tps_code") for i in items if isinstance(i, dict) and isinstance(i.get("tps_code"), str)
             and TPS_CODE_RE.match(i["tps_code"])}
    known_tps = set()
    if codes:
        election = default_election()
        known_tps = set(PollingStation.objects.filter(election=election, code__in=codes)
                        .values_list("code", flat=True)) if election else set()
    categories = set(Category.objects.filter(active=True).values_list("code", flat=True))
    out: list = []
    for raw in items:
        if not isinstance(raw, dict):
            out.append({"key": "", "errors": {"non_field_errors": ["objek diperlukan"]}})
            continue
        errors: dict[str, list[str]] = {}
        vals: dict = {}
        for name, limit in _STR_LIMITS.items():
            v = raw.get(name)
            if v is None or v == "":
                if name in ("key", "text"):
                    errors[name] = ["wajib diisi"]
                vals[name] = ""
                continue
            if not isinstance(v, str):
                errors[name] = ["harus teks"]
            elif len(v) > limit:
                errors[name] = [f"paling panjang {limit} karakter"]
            elif name == "text" and not v.strip():
                errors[name] = ["wajib diisi"]
            vals[name] = v
        if vals.get("tps_code") and "tps_code" not in errors:
            if not TPS_CODE_RE.match(vals["tps_code"]):
                errors["tps_code"] = ["format kode TPS salah"]
            elif vals["tps_code"] not in known_tps:
                errors["tps_code"] = ["kode TPS tidak dikenal"]
        for name, lo, hi in (("lat", -90, 90), ("lng", -180, 180)):
            v = raw.get(name)
            if v is None:
                vals[name] = None
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                errors[name] = ["koordinat tidak sah"]
            else:
                vals[name] = float(v)
        if (vals.get("lat") is None) != (vals.get("lng") is None) and "lat" not in errors and "lng" not in errors:
            errors["lat"] = ["lintang dan bujur harus diisi bersama"]
        sev = raw.get("severity")
        if sev is not None and (isinstance(sev, bool) or not isinstance(sev, int) or not 1 <= sev <= 4):
            errors["severity"] = ["keparahan 1-4"]
        cat = raw.get("category")
        if cat not in (None, "") and cat not in categories:
            errors["category"] = ["kategori tidak dikenal"]
        occurred = None
        if raw.get("occurred_at"):
            try:
                occurred = dt.datetime.fromisoformat(str(raw["occurred_at"]).replace("Z", "+00:00"))
                if timezone.is_naive(occurred):
                    occurred = timezone.make_aware(occurred)
            except ValueError:
                errors["occurred_at"] = ["format waktu salah"]
        if errors:
            out.append({"key": raw.get("key", "") if isinstance(raw.get("key"), str) else "", "errors": errors})
            continue
        out.append(ReportInput(key=vals["key"], text=vals["text"], channel=channel, occurred_at=occurred,
                               lat=vals["lat"], lng=vals["lng"], tps_code=vals["tps_code"],
                               place_text=vals["place"], category_hint=cat or "", severity_hint=sev,
                               reporter_name=vals["reporter_name"], reporter_contact=vals["reporter_contact"]))
    return out
