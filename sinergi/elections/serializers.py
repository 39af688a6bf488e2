"""API representations of elections, stages, contests, candidate pairs and polling stations (TPS)."""

from __future__ import annotations

from rest_framework import serializers

from .models import CandidatePair, Contest, Election, PollingStation, Stage


class ElectionSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True, allow_null=True)

    class Meta:
        model = Election
        fields = ["id", "code", "name", "voting_date", "province", "voters_total", "voters_source"]
        read_only_fields = fields


class StageSerializer(serializers.ModelSerializer):
    election_code = serializers.CharField(source="election.code", read_only=True)

    class Meta:
        model = Stage
        fields = ["id", "election", "election_code", "code", "name", "name_en", "start_date", "end_date", "order"]
        read_only_fields = fields


class CandidatePairSerializer(serializers.ModelSerializer):
    class Meta:
        model = CandidatePair
        fields = ["number", "names"]
        read_only_fields = fields


class ContestSerializer(serializers.ModelSerializer):
    election_code = serializers.CharField(read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(read_only=True)
    pairs = CandidatePairSerializer(many=True, read_only=True)

    class Meta:
        model = Contest
        fields = ["id", "election", "election_code", "kind", "region", "region_name", "candidate_pair_count",
                  "pairs", "source"]
        read_only_fields = fields


class PollingStationSerializer(serializers.ModelSerializer):
    """A TPS. `voters_estimated` / `location_estimated` mark derived values ("perkiraan")."""

    election_code = serializers.CharField(read_only=True)
    village = serializers.CharField(source="village_id", read_only=True)
    village_name = serializers.CharField(read_only=True)
    is_estimated = serializers.BooleanField(read_only=True,
                                            help_text="Pemilih atau lokasi merupakan perkiraan")

    class Meta:
        model = PollingStation
        fields = ["id", "code", "election", "election_code", "regency_code", "district_code", "village",
                  "village_name", "number", "voters", "voters_estimated", "lat", "lng", "location_source",
                  "location_estimated", "is_estimated", "address", "access_mode", "special_location",
                  "special_location_note", "source"]
        read_only_fields = fields
