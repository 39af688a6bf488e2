"""Query filters of the election, stage, contest and TPS API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from sinergi.api.filters import IntFilter

from .models import Contest, PollingStation, Stage


class StageFilter(django_filters.FilterSet):
    election = IntFilter(field_name="election_id")
    election_code = django_filters.CharFilter(field_name="election__code")

    class Meta:
        model = Stage
        fields = ["election", "election_code"]


class ContestFilter(django_filters.FilterSet):
    election = IntFilter(field_name="election_id")
    election_code = django_filters.CharFilter(field_name="election__code")
    kind = django_filters.ChoiceFilter(choices=Contest.Kind.choices)
    region = django_filters.CharFilter(field_name="region_id", help_text="Kode wilayah, mis. 53 atau 53.71")

    class Meta:
        model = Contest
        fields = ["election", "election_code", "kind", "region"]


class PollingStationFilter(django_filters.FilterSet):
    election = IntFilter(field_name="election_id")
    election_code = django_filters.CharFilter(field_name="election__code")
    regency_code = django_filters.CharFilter(help_text="Kode kabupaten/kota, mis. 53.71")
    district_code = django_filters.CharFilter(help_text="Kode kecamatan, mis. 53.71.01")
    village = django_filters.CharFilter(field_name="village_id", help_text="Kode desa/kelurahan")
    code = django_filters.CharFilter()
    voters_min = IntFilter(field_name="voters", lookup_expr="gte")
    voters_max = IntFilter(field_name="voters", lookup_expr="lte")
    voters_estimated = django_filters.BooleanFilter()
    location_estimated = django_filters.BooleanFilter()
    is_estimated = django_filters.BooleanFilter(method="filter_is_estimated",
                                                help_text="Pemilih atau lokasi merupakan perkiraan")
    location_source = django_filters.ChoiceFilter(choices=PollingStation.LocationSource.choices)
    access_mode = django_filters.ChoiceFilter(choices=PollingStation.AccessMode.choices)
    special_location = django_filters.BooleanFilter()

    class Meta:
        model = PollingStation
        fields = ["election", "election_code", "regency_code", "district_code", "village", "code", "voters_min",
                  "voters_max", "voters_estimated", "location_estimated", "is_estimated", "location_source",
                  "access_mode", "special_location"]

    def filter_is_estimated(self, queryset, name, value):
        q = Q(voters_estimated=True) | Q(location_estimated=True)
        return queryset.filter(q) if value else queryset.exclude(q)
