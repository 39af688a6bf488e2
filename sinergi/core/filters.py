"""Query filters of the audit-event API."""

from __future__ import annotations

import django_filters

from sinergi.api.filters import IntFilter

from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter()
    action__startswith = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    actor = IntFilter(field_name="actor_id")
    unit = IntFilter(field_name="unit_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "action__startswith", "object_type", "object_id", "actor", "unit", "created_after",
                  "created_before"]
