"""Filters of the risk API."""

import django_filters

from .models import Assessment, RegionAssessment


class AssessmentFilter(django_filters.FilterSet):
    regency = django_filters.CharFilter(field_name="polling_station__regency_code")
    district = django_filters.CharFilter(field_name="polling_station__district_code")

    class Meta:
        model = Assessment
        fields = ["tier", "low_coverage", "is_demo", "polling_station"]


class RegionAssessmentFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="region__parent_id")

    class Meta:
        model = RegionAssessment
        fields = ["level", "tier", "basis"]
