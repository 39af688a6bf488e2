"""API serializers of logistics movements and their events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import CustodyEvent, Direction, Leg, LegEventKind, Movement, NodeKind, SealCheck


class LegSerializer(serializers.ModelSerializer):
    escort_unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Leg
        fields = ["id", "order", "mode", "vessel_name", "sea_link", "from_name", "from_lat", "from_lng", "from_port",
                  "to_name", "to_lat", "to_lng", "to_port", "escort_unit", "officers", "hours", "planned_departure",
                  "expected_arrival", "estimated", "actual_departure", "actual_arrival"]


class CustodyEventSerializer(serializers.ModelSerializer):
    from_unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    to_unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    tps_code = serializers.CharField(source="polling_station.code", read_only=True, default=None, allow_null=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = CustodyEvent
        fields = ["id", "key", "node_kind", "tps_code", "at", "from_name", "from_agency", "from_unit", "to_name",
                  "to_agency", "to_unit", "seal_check", "seals_seen", "note", "confirmed_by", "recorded_at"]


class MovementListSerializer(serializers.ModelSerializer):
    escort_unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    tps_code = serializers.CharField(source="polling_station.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Movement
        fields = ["id", "key", "direction", "status", "label", "origin_kind", "origin_name", "dest_kind", "dest_name",
                  "regency_code", "district_code", "serves_village_code", "tps_code", "escort_unit", "cargo",
                  "has_sea", "planned_departure", "expected_arrival", "estimated", "travel_hours",
                  "actual_departure", "actual_arrival", "handed_over_at", "delay_minutes", "parent"]


class MovementDetailSerializer(MovementListSerializer):
    legs = LegSerializer(many=True, read_only=True)
    custody_events = CustodyEventSerializer(many=True, read_only=True)

    class Meta(MovementListSerializer.Meta):
        fields = [*MovementListSerializer.Meta.fields, "origin_lat", "origin_lng", "dest_lat", "dest_lng", "seals",
                  "note", "legs", "custody_events"]


class LegEventInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=80, help_text=_("kunci idempotensi dari klien (mis. UUID)"))
    leg = serializers.IntegerField(min_value=1, help_text=_("urutan ruas (1, 2, ...)"))
    kind = serializers.ChoiceField(choices=LegEventKind.choices)
    at = serializers.DateTimeField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lat": _("lintang dan bujur harus diisi bersama")})
        return attrs


class HandoverInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=80, help_text=_("kunci idempotensi dari klien (mis. UUID)"))
    place = serializers.ChoiceField(choices=[("origin", "origin"), ("destination", "destination"), ("tps", "tps")],
                                    default="destination")
    at = serializers.DateTimeField(required=False, allow_null=True)
    from_name = serializers.CharField(max_length=120)
    from_agency = serializers.CharField(max_length=120, required=False, allow_blank=True)
    from_unit = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text=_("kode satuan"))
    to_name = serializers.CharField(max_length=120)
    to_agency = serializers.CharField(max_length=120, required=False, allow_blank=True)
    to_unit = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text=_("kode satuan"))
    seals_seen = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=5000)
    seal_check = serializers.ChoiceField(choices=SealCheck.choices, required=False, allow_blank=True)
    tps_code = serializers.CharField(max_length=24, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SealsInSerializer(serializers.Serializer):
    seals = serializers.ListField(child=serializers.CharField(max_length=60), max_length=5000)


class AcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class MovementInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=80, help_text=_("kunci rencana dari klien (unik)"))
    direction = serializers.ChoiceField(choices=Direction.choices)
    origin_kind = serializers.ChoiceField(choices=NodeKind.choices)
    origin_code = serializers.CharField(max_length=24, help_text=_("kode wilayah Kemendagri, atau kode TPS"))
    dest_kind = serializers.ChoiceField(choices=NodeKind.choices)
    dest_code = serializers.CharField(max_length=24, help_text=_("kode wilayah Kemendagri, atau kode TPS"))
    planned_departure = serializers.DateTimeField()
    escort_unit = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text=_("kode satuan"))
    cargo = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)
    seals = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=5000)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


# --- answers of GET summary/ and map/ (the documented shape of what the selectors return) -------------------

class EscortRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    mode = serializers.ChoiceField(choices=["road", "sea"])
    origin = serializers.CharField()
    destination = serializers.CharField()
    expected_at = serializers.DateTimeField(help_text="planned arrival (estimated when expected_estimated)")
    expected_estimated = serializers.BooleanField()
    escort_unit = serializers.CharField(allow_blank=True, help_text="name of the escorting unit, empty if none")
    status = serializers.CharField()
    direction = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    delay_minutes = serializers.IntegerField()
    eta = serializers.DateTimeField(help_text="current expected arrival (estimated)")


class EscortSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    planned = serializers.IntegerField()
    in_motion = serializers.IntegerField()
    arrived = serializers.IntegerField()
    delayed = serializers.IntegerField()
    in_motion_list = EscortRowSerializer(many=True)
    delayed_list = EscortRowSerializer(many=True)
    estimated = serializers.BooleanField(help_text="always true: expected times come from the travel model")


class EscortFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    geometry = serializers.DictField(help_text="GeoJSON Point or LineString ([lng, lat] coordinates)")
    properties = serializers.DictField(help_text="movement, label, mode/done (legs) or status, escort, expected_at, "
                                                 "url (positions)")


class EscortMapSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = EscortFeatureSerializer(many=True)
