"""API representations. Shareable records switch to their summary fields for summary-only readers."""

from __future__ import annotations

from rest_framework import serializers

from sinergi.accounts.models import Agency, Unit, User

from .choices import ActionStatus, Marking, NoteKind
from .models import ActionItem, ActionUpdate, AgendaItem, Decision, Meeting, Notification, SharedNote

SUMMARY_FIELDS = ("id", "url_name", "title", "marking", "access", "summary", "unit", "unit_name", "created_at")


#: the fields a summary-only reader gets (when the record has them); `marking` is then the summary's marking
SUMMARY_KEEP = {"id", "title", "access", "summary", "unit", "unit_name", "created_at", "kind", "starts_at",
                "ends_at", "status", "due_date", "owner_unit"}


class ShareableSerializer(serializers.ModelSerializer):
    """Full fields when the reader may read the record; otherwise only the redacted summary fields."""

    #: the schema requires only what both forms carry (sinergi.api.schema.AutoSchema)
    schema_always_present = SUMMARY_KEEP | {"marking"}
    access = serializers.SerializerMethodField()
    summary_marking = serializers.ChoiceField(choices=[("", ""), *Marking.choices], read_only=True,
                                              help_text="Empty when no summary is shared more widely.")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    share_units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    share_agencies = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    share_users = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    def get_access(self, obj) -> str:
        return "full" if getattr(obj, "full_access", False) else "summary"

    def to_representation(self, obj):
        data = super().to_representation(obj)
        if getattr(obj, "full_access", False):
            return data
        out = {k: v for k, v in data.items() if k in SUMMARY_KEEP}
        out["marking"] = obj.summary_marking  # the marking of what is shown
        return out


SHARE_FIELDS = ["marking", "summary_marking", "summary", "share_units", "share_agencies", "share_users", "access"]


class MeetingSerializer(ShareableSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "title", "series", "previous", "starts_at", "ends_at", "place", "online_url", "status",
                  "minutes", "sequence", "unit", "unit_name", "author", "created_at", "updated_at", *SHARE_FIELDS]
        read_only_fields = fields


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "meeting", "order", "kind", "title", "description", "action_item"]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "meeting", "order", "text", "created_at"]
        read_only_fields = fields


class ActionItemSerializer(ShareableSerializer):
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    owner_agency = serializers.CharField(source="owner_unit.agency.code", read_only=True)
    supporting_units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "meeting", "decision", "title", "description", "owner_unit", "owner_unit_name",
                  "owner_agency", "supporting_units", "due_date", "status", "closed_at", "unit", "unit_name",
                  "author", "created_at", "updated_at", *SHARE_FIELDS]
        read_only_fields = fields


class ActionUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActionUpdate
        fields = ["id", "action_item", "author", "text", "status_from", "status_to", "evidence_url", "created_at"]
        read_only_fields = fields


class SharedNoteSerializer(ShareableSerializer):
    regions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    polling_stations = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    meetings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SharedNote
        fields = ["id", "kind", "title", "body", "regions", "polling_stations", "meetings", "incident_ids",
                  "election_year", "unit", "unit_name", "author", "created_at", "updated_at", *SHARE_FIELDS]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "url", "object_type", "object_id", "created_at", "read_at"]
        read_only_fields = fields


# --- write payloads (validated here, written by services) -----------------------------------------------

class ShareInput(serializers.Serializer):
    marking = serializers.ChoiceField(choices=Marking.choices, default=Marking.AMBER)
    summary_marking = serializers.ChoiceField(choices=[("", ""), *Marking.choices], required=False, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    share_units = serializers.PrimaryKeyRelatedField(many=True, queryset=Unit.objects.all(), required=False,
                                                     default=list)
    share_agencies = serializers.SlugRelatedField(many=True, slug_field="code", queryset=Agency.objects.all(),
                                                  required=False, default=list)
    share_users = serializers.PrimaryKeyRelatedField(many=True, queryset=User.objects.all(), required=False,
                                                     default=list)


class MeetingInput(ShareInput):
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(required=False, allow_blank=True, default="")
    online_url = serializers.URLField(required=False, allow_blank=True, default="")
    series = serializers.CharField(required=False, allow_blank=True, default="")
    agenda = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class AgendaItemInput(serializers.Serializer):
    meeting = serializers.IntegerField()
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionInput(serializers.Serializer):
    meeting = serializers.IntegerField()
    text = serializers.CharField()


class ActionItemInput(serializers.Serializer):
    meeting = serializers.IntegerField(required=False, allow_null=True, default=None)
    decision = serializers.IntegerField(required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    supporting_units = serializers.PrimaryKeyRelatedField(many=True, queryset=Unit.objects.all(), required=False,
                                                          default=list)
    due_date = serializers.DateField()
    marking = serializers.ChoiceField(choices=Marking.choices, required=False, allow_null=True, default=None)


class ActionUpdateInput(serializers.Serializer):
    action_item = serializers.IntegerField()
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=[("", ""), *ActionStatus.choices], required=False, default="")
    evidence_url = serializers.URLField(required=False, allow_blank=True, default="")


class NoteInput(ShareInput):
    kind = serializers.ChoiceField(choices=NoteKind.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    regions = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    meetings = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    incident_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    election_year = serializers.IntegerField(required=False, allow_null=True, default=None)


class MarkingChangeInput(ShareInput):
    reason = serializers.CharField()
