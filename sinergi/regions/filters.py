"""Query filters of the region and island API."""

from __future__ import annotations

import django_filters

from .models import Island, Region, RegionLevel


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = django_filters.CharFilter(field_name="parent_id", help_text="Kode wilayah induk, mis. 53.01")
    province_code = django_filters.CharFilter()
    code__startswith = django_filters.CharFilter(field_name="code", lookup_expr="startswith",
                                                 help_text="Awalan kode, mis. 53.01.")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Bagian dari nama")

    class Meta:
        model = Region
        fields = ["level", "parent", "province_code", "code__startswith", "q"]


class IslandFilter(django_filters.FilterSet):
    regency = django_filters.CharFilter(field_name="regency_id", help_text="Kode kabupaten/kota, mis. 53.01")
    regency__startswith = django_filters.CharFilter(field_name="regency__code", lookup_expr="startswith",
                                                    help_text="Awalan kode kabupaten/kota, mis. 53")
    is_populated = django_filters.BooleanFilter()
    is_outermost_small = django_filters.BooleanFilter()
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Bagian dari nama")

    class Meta:
        model = Island
        fields = ["regency", "regency__startswith", "is_populated", "is_outermost_small", "q"]
