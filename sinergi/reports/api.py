"""API v1 of the situation report under /api/v1/situation-reports/: list, detail (with the content snapshot),
download (hash re-checked) and generate (POST). Reads through selectors, writes through services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.models import Unit
from sinergi.elections.selectors import default_election

from . import permissions, selectors, serializers, services
from .choices import CONTENT_TYPES, Language, ReportStatus
from .models import SituationReport


def _is_id(value) -> bool:
    """A record id in the URL: ASCII digits only (a non-numeric id is a 404, not a 500)."""
    return str(value).isascii() and str(value).isdigit() and len(str(value)) < 19


class SituationReportViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = serializers.SituationReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return SituationReport.objects.none()
        if not permissions.can_view(self.request.user):
            raise PermissionDenied("not allowed: sitrep.view")
        return selectors.report_list(user=self.request.user)

    @extend_schema(responses={200: serializers.SituationReportDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        report = selectors.report_get(user=request.user, pk=int(kwargs["pk"])) if _is_id(kwargs["pk"]) else None
        if report is None:
            raise Http404
        return Response(serializers.SituationReportDetailSerializer(report).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              409: OpenApiResponse(OpenApiTypes.OBJECT, description="The archived file was altered "
                                                   "(its hash no longer matches): {\"detail\": ...}")},
                   parameters=[OpenApiParameter("lang", str, enum=Language.values)])
    @action(detail=True, methods=["get"], url_path=r"download/(?P<fmt>pdf|xlsx)", url_name="download")
    def download(self, request, pk=None, fmt=None):
        if not permissions.can_view(request.user):
            raise PermissionDenied("not allowed: sitrep.view")
        report = selectors.report_get(user=request.user, pk=int(pk)) if _is_id(pk) else None
        if report is None or report.status != ReportStatus.DONE or fmt not in CONTENT_TYPES:
            raise Http404
        language = request.query_params.get("lang", Language.ID)
        if language not in Language.values:
            raise ValidationError({"lang": "id or en"})
        try:
            f = services.report_file_verified(actor=request.user, report=report, fmt=fmt, language=language)
        except services.TamperedFileError:
            return Response({"detail": "Berkas tidak cocok dengan hash arsip (kemungkinan diubah)."},
                            status=status.HTTP_409_CONFLICT)
        resp = HttpResponse(bytes(f.data), content_type=CONTENT_TYPES[fmt])
        resp["Content-Disposition"] = (f'attachment; filename="laporan-situasi-{report.pk}-v{report.version}.'
                                       f'{language}.{fmt}"')
        resp["X-Content-SHA256"] = f.sha256
        return resp

    @extend_schema(request=serializers.GenerateInput, responses={202: serializers.SituationReportSerializer})
    @action(detail=False, methods=["post"], url_path="generate", url_name="generate")
    def generate(self, request):
        if not permissions.can_generate(request.user):
            raise PermissionDenied("not allowed: sitrep.generate")
        payload = serializers.GenerateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        unit_pk = payload.validated_data.get("scope_unit")
        if unit_pk:
            unit = Unit.objects.select_related("agency").filter(pk=unit_pk).first()
            if unit is None:
                raise ValidationError({"scope_unit": "unknown unit"})
        else:
            unit = selectors.default_scope_unit(user=request.user)
            if unit is None:
                raise ValidationError({"scope_unit": "no unit to report on"})
        election = default_election()
        if election is None:
            raise ValidationError({"election": "no election loaded"})
        try:
            report, _ = services.report_request(actor=request.user, election=election, scope_unit=unit)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        report = selectors.report_list(user=request.user).get(pk=report.pk)
        return Response(serializers.SituationReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register("situation-reports", SituationReportViewSet, basename="situation-report")
