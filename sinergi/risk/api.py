"""API v1 of vulnerability mapping: indicators, observations (and bulk upload), models (draft, update, preview,
publish), TPS and region assessments, recompute. Everyone signed in reads; writes follow risk.permissions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.core import uploads
from sinergi.core.jsonsafe import SafeJSONParser
from sinergi.elections.models import PollingStation
from sinergi.regions.models import Region

from . import importers, selectors, services
from .filters import AssessmentFilter, RegionAssessmentFilter
from .permissions import can
from .serializers import (
    AssessmentSerializer,
    IndicatorSerializer,
    ObservationCreateSerializer,
    ObservationSerializer,
    RegionAssessmentSerializer,
    RiskModelSerializer,
    RiskModelUpdateSerializer,
)

_RUN_ACCEPTED = inline_serializer("ObservationImportQueued", {
    "run": serializers.IntegerField(), "status": serializers.CharField(),
    "result": serializers.DictField(allow_null=True, help_text="counts once the run finished; empty while queued")})
_PREVIEW = inline_serializer("RiskModelPreview", {
    "model": serializers.IntegerField(),
    "tiers": serializers.DictField(child=serializers.IntegerField(), help_text="tier -> TPS count")})
_RECOMPUTE = inline_serializer("RiskRecompute", {
    "run": serializers.IntegerField(), "status": serializers.CharField(),
    "duration_s": serializers.FloatField(allow_null=True), "result": serializers.DictField(allow_null=True)})


class CanViewRisk(BasePermission):
    """Reads need risk.view; a write needs the view's `write_actions[action]` (default: refused)."""

    message = "Anda tidak berwenang melakukan aksi ini (not allowed)."

    def has_permission(self, request, view) -> bool:
        if not can(request.user, "risk.view"):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        needed = getattr(view, "write_actions", {}).get(getattr(view, "action", None))
        return needed is not None and can(request.user, needed)


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(getattr(exc, "message_dict", None) or exc.messages) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc


class IndicatorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The indicator catalog. Analysts and admins add and edit indicators."""

    permission_classes = [IsAuthenticated, CanViewRisk]
    write_actions = {"create": "risk.catalog.edit", "update": "risk.catalog.edit",
                     "partial_update": "risk.catalog.edit"}
    serializer_class = IndicatorSerializer
    filterset_fields = ["scope", "group", "value_type", "is_active"]
    ordering = ["scope", "order", "code"]

    def get_queryset(self):
        return selectors.indicator_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = _call(services.indicator_create, actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("code", None)
        data.pop("scope", None)
        serializer.instance = _call(services.indicator_update, actor=self.request.user, indicator=serializer.instance,
                                    **data)


class ObservationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Observations in the caller's jurisdiction. POST one observation, or POST a CSV/XLSX to `upload`."""

    permission_classes = [IsAuthenticated, CanViewRisk]
    write_actions = {"create": "risk.observe", "upload": "risk.observe"}
    serializer_class = ObservationSerializer
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]
    filterset_fields = ["polling_station", "region", "indicator", "is_demo", "source"]
    ordering = ["-observed_on", "-id"]

    def get_queryset(self):
        return selectors.observation_list(user=self.request.user)

    @extend_schema(request=ObservationCreateSerializer, responses={201: ObservationSerializer})
    def create(self, request, *args, **kwargs):
        incoming = ObservationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        d = incoming.validated_data
        tps = region = None
        if d.get("polling_station"):
            tps = PollingStation.objects.filter(pk=d["polling_station"]).first()
            if tps is None:
                raise serializers.ValidationError({"polling_station": "TPS tidak ada."})
        elif d.get("region"):
            region = Region.objects.filter(code=d["region"]).first()
            if region is None:
                raise serializers.ValidationError({"region": "Wilayah tidak ada."})
        obs = _call(services.observation_create, actor=request.user, indicator=d["indicator"], value=d["value"],
                    observed_on=d["observed_on"], polling_station=tps, region=region,
                    evidence_text=d.get("evidence_text", ""), source="api")
        return Response(ObservationSerializer(obs).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "valid_only": {"type": "boolean"}}}},
        responses={202: _RUN_ACCEPTED})
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        up = request.FILES.get("file")
        if up is None:
            raise serializers.ValidationError({"file": "Berkas wajib (file required)."})
        valid_only = str(request.data.get("valid_only", "")).lower() in ("1", "true", "ya", "yes")
        run = _call(importers.observation_import_start, actor=request.user, file_bytes=_call(uploads.read_upload, upload=up),
                    filename=up.name, valid_only=valid_only)
        run.refresh_from_db()
        return Response({"run": run.pk, "status": run.status, "result": run.result},
                        status=status.HTTP_202_ACCEPTED)


class RiskModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Risk model versions. Drafts: create (copy of the published one), PATCH parameters/weights, preview,
    publish. Published and retired versions never change."""

    permission_classes = [IsAuthenticated, CanViewRisk]
    write_actions = {"create": "risk.model.edit", "partial_update": "risk.model.edit", "preview": "risk.model.edit",
                     "publish": "risk.model.publish", "recompute": "risk.recompute"}
    serializer_class = RiskModelSerializer
    filterset_fields = ["status", "election"]
    ordering = ["-version"]

    def get_queryset(self):
        return selectors.model_list(user=self.request.user).prefetch_related("weights__indicator")

    @extend_schema(request=None, responses={201: RiskModelSerializer})
    def create(self, request):
        m = _call(services.model_draft_create, actor=request.user, election=services.default_election())
        return Response(RiskModelSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RiskModelUpdateSerializer, responses={200: RiskModelSerializer})
    def partial_update(self, request, pk=None):
        m = self.get_object()
        incoming = RiskModelSerializer(m, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        extra = RiskModelUpdateSerializer(data=request.data)
        extra.is_valid(raise_exception=True)
        m = _call(services.model_update, actor=request.user, model=m, weights=extra.validated_data.get("weights"),
                  **incoming.validated_data)
        return Response(RiskModelSerializer(m).data)

    @extend_schema(request=None, responses={200: _PREVIEW})
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        m = self.get_object()
        if not can(request.user, "risk.model.edit"):
            raise PermissionDenied()
        return Response({"model": m.pk, "tiers": selectors.preview_counts(m)})

    @extend_schema(request=None, responses={200: RiskModelSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        m = _call(services.model_publish, actor=request.user, model=self.get_object())
        return Response(RiskModelSerializer(m).data)

    @extend_schema(request=None, responses={200: _RECOMPUTE})
    @action(detail=False, methods=["post"])
    def recompute(self, request):
        run = _call(services.risk_recompute, actor=request.user)
        return Response({"run": run.pk, "status": run.status, "duration_s": run.duration_s, "result": run.result})


class AssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Latest TPS assessments of the published model (filter by tier, regency, district)."""

    permission_classes = [IsAuthenticated, CanViewRisk]
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["score", "polling_station"]
    ordering = ["-score", "polling_station"]

    def get_queryset(self):
        return selectors.assessment_list(user=self.request.user).select_related("model")


class RegionAssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Region assessments (province, regency, kecamatan) of the published model."""

    permission_classes = [IsAuthenticated, CanViewRisk]
    serializer_class = RegionAssessmentSerializer
    filterset_class = RegionAssessmentFilter
    ordering_fields = ["score", "region"]
    ordering = ["-score", "region"]

    def get_queryset(self):
        return selectors.region_assessment_list(user=self.request.user)


def register(router) -> None:
    router.register("risk-indicators", IndicatorViewSet, basename="risk-indicator")
    router.register("risk-observations", ObservationViewSet, basename="risk-observation")
    router.register("risk-models", RiskModelViewSet, basename="risk-model")
    router.register("risk-assessments", AssessmentViewSet, basename="risk-assessment")
    router.register("risk-region-assessments", RegionAssessmentViewSet, basename="risk-region-assessment")
