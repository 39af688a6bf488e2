"""Query filters shared by the API's filter sets.

`IntFilter`: a whole number within the database's 64-bit range (ids, counts). django-filter's NumberFilter takes
any decimal, so `?election=-1.5e80` reached the database and overflowed (a 500); here it is a 400 naming the
parameter, and the schema says `integer`.
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

INT64_MAX = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IntFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -INT64_MAX)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(*args, **kwargs)
