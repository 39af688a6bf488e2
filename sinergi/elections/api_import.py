"""API v1: TPS imports. POST a CSV/XLSX (multipart) to queue an import run; read runs in the caller's scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.permissions import has_perm
from sinergi.core import uploads
from sinergi.core.models import TaskRun

from . import selectors, services


class CanImportTps(BasePermission):
    """Creating an import needs `tps.import`; reading runs needs `taskrun.view` or `tps.import`."""

    message = "Anda tidak berwenang melakukan aksi ini (not allowed)."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if view.action == "create":
            return has_perm(user, "tps.import")
        return has_perm(user, "taskrun.view") or has_perm(user, "tps.import")


class TpsImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Spreadsheet row number (header = 1); null for the file")
    field = serializers.CharField()
    message = serializers.CharField()


class TpsImportResultSerializer(serializers.Serializer):
    """What the run found; empty while queued, partial when the file could not be read (keys not required)."""

    election = serializers.CharField(allow_null=True, required=False)
    valid_only = serializers.BooleanField(required=False)
    format = serializers.CharField(allow_null=True, required=False)
    imported = serializers.BooleanField(required=False,
                                        help_text="False when nothing was written (errors in all-or-nothing mode)")
    rows_total = serializers.IntegerField(required=False)
    rows_valid = serializers.IntegerField(required=False)
    rows_rejected = serializers.IntegerField(required=False)
    created = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    not_in_file = serializers.IntegerField(required=False,
                                           help_text="TPS already stored in the file's desa but absent from the file")
    taken_rows = serializers.ListField(child=serializers.IntegerField(), required=False)
    rejected_rows = serializers.ListField(child=serializers.IntegerField(), required=False)
    errors = TpsImportErrorSerializer(many=True, required=False)
    errors_total = serializers.IntegerField(required=False)
    ignored_columns = serializers.ListField(child=serializers.CharField(), required=False)


class TpsImportRunSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    result = serializers.SerializerMethodField()

    class Meta:
        model = TaskRun
        fields = [
            "id", "kind", "status", "parameters", "input_name", "input_hash", "result", "log", "created_by",
            "unit", "created_at", "started_at", "finished_at", "duration_s",
        ]
        read_only_fields = fields

    @extend_schema_field(TpsImportResultSerializer)
    def get_result(self, obj) -> dict:
        return obj.result or {}


class TpsImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8, comma or semicolon) or XLSX (first sheet)")
    valid_only = serializers.BooleanField(default=False, help_text="Import the valid rows only")
    election = serializers.CharField(default=services.DEFAULT_ELECTION_CODE, help_text="Election code")


class TpsImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of KPU's TPS list. Runs are visible to admins, and to users whose scope contains the run's unit."""

    permission_classes = [IsAuthenticated, CanImportTps]
    serializer_class = TpsImportRunSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.tps_import_run_list(user=self.request.user)

    @extend_schema(request=TpsImportCreateSerializer, responses={202: TpsImportRunSerializer})
    def create(self, request, *args, **kwargs):
        incoming = TpsImportCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload = incoming.validated_data["file"]
        try:
            run = services.tps_import_start(
                actor=request.user, file_bytes=uploads.read_upload(upload), filename=upload.name,
                valid_only=incoming.validated_data["valid_only"], election_code=incoming.validated_data["election"],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        run.refresh_from_db()
        return Response(TpsImportRunSerializer(run, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register("tps-imports", TpsImportViewSet, basename="tps-import")
