"""API representations of audit events."""

from __future__ import annotations

from rest_framework import serializers

from .audit_scope import redact
from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = AuditEvent
        fields = ["seq", "created_at", "actor", "actor_repr", "unit", "unit_code", "action", "object_type",
                  "object_id", "data", "prev_hash", "hash"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        keys = self.context.get("redact", {}).get(instance.seq)
        if keys:
            data["data"] = redact(data["data"], keys)
        return data
