"""Query filters of the unit and strength API."""

from __future__ import annotations

import django_filters

from sinergi.api.filters import IntFilter

from .choices import AgencyKind, PersonnelType, UnitLevel
from .models import Unit, UnitStrength


class UnitFilter(django_filters.FilterSet):
    agency = django_filters.ChoiceFilter(field_name="agency__code", choices=AgencyKind.choices)
    level = django_filters.ChoiceFilter(choices=UnitLevel.choices)
    parent = IntFilter(field_name="parent_id")
    code = django_filters.CharFilter()
    region = django_filters.CharFilter(field_name="jurisdiction", distinct=True,
                                       help_text="Satuan yang wilayah hukumnya memuat kode wilayah ini")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Bagian dari nama")

    class Meta:
        model = Unit
        fields = ["agency", "level", "parent", "code", "region", "q"]


class UnitStrengthFilter(django_filters.FilterSet):
    unit = IntFilter(field_name="unit_id")
    agency = django_filters.ChoiceFilter(field_name="unit__agency__code", choices=AgencyKind.choices)
    personnel_type = django_filters.ChoiceFilter(choices=PersonnelType.choices)
    estimated = django_filters.BooleanFilter()

    class Meta:
        model = UnitStrength
        fields = ["unit", "agency", "personnel_type", "estimated"]
