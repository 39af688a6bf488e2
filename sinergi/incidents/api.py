"""API v1 for incidents: report intake (single, batch), incidents (list, map, detail, workflow), categories."""

from __future__ import annotations

import functools
import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404  # a non-numeric id is a 404, not a 500
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.models import Unit
from sinergi.api.errors import call_service

from . import selectors, services
from .models import Category, Incident, Report
from .permissions import can
from .serializers import (
    BatchInSerializer,
    CategorySerializer,
    IncidentDetailSerializer,
    IncidentListSerializer,
    MergeSerializer,
    ReportInSerializer,
    ReportOutSerializer,
    SplitSerializer,
    TransitionSerializer,
    UpdateSerializer,
    batch_inputs,
)


class CanIncident(BasePermission):
    def has_permission(self, request, view) -> bool:
        act = getattr(view, "required_actions", {}).get(getattr(view, "action", None), "incident.view")
        return can(request.user, act)


class IncidentCursor(CursorPagination):
    """Keyset pagination: constant time at any depth of a million incidents (no COUNT)."""

    ordering = ("-last_reported_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# 201 accepted (new report) or 200 duplicate (the idempotency key was seen before)
_REPORT_ACCEPTED = inline_serializer("ReportAccepted", {
    "id": serializers.IntegerField(), "key": serializers.CharField(),
    "status": serializers.ChoiceField(choices=["accepted", "duplicate"]),
    "incident": serializers.IntegerField(allow_null=True)})


# GET /incidents/map/: compact rows, one list per point in the order of `fields`
_MAP_POINTS = inline_serializer("IncidentMapPoints", {
    "type": serializers.ChoiceField(choices=["points"]),
    "fields": serializers.ListField(child=serializers.CharField(), help_text="names of the values of each point"),
    "points": serializers.ListField(child=serializers.ListField(child=serializers.JSONField()),
                                    help_text="[id, lat, lng, category, severity, status, title, last_reported_epoch]"),
})


_BATCH_RESULT = inline_serializer("ReportBatchResult", {
    "accepted": serializers.IntegerField(), "duplicate": serializers.IntegerField(),
    "rejected": serializers.IntegerField(),
    "results": inline_serializer("ReportBatchItem", {
        "index": serializers.IntegerField(), "key": serializers.CharField(allow_blank=True),
        "status": serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"]),
        "id": serializers.IntegerField(allow_null=True),
        "errors": serializers.DictField(required=False, help_text="field -> reason (rejected items only)")},
        many=True)})
_REPORTER = inline_serializer("ReportReporter", {
    "name": serializers.CharField(allow_blank=True), "contact": serializers.CharField(allow_blank=True),
    "anonymous": serializers.BooleanField(), "user": serializers.CharField(allow_null=True)})


class ReportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Report intake. POST with a client-supplied `key`: 201 when stored, 200 with `duplicate` on a retry."""

    permission_classes = [IsAuthenticated, CanIncident]
    required_actions = {"create": "incident.report", "batch": "incident.report", "retrieve": "incident.view",
                        "reporter": "incident.view_reporter"}
    serializer_class = ReportOutSerializer

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        """The list route's POST with an API token takes the lean intake path (intake.py), which hands every
        case but the plain one back to the full view below; same contract, a fraction of the CPU."""
        view = super().as_view(actions, **initkwargs)
        if not actions or actions.get("post") != "create":
            return view

        def report_create(request, *args, **kwargs):
            from . import intake

            if request.method == "POST" and intake.lean_enabled():
                return intake.create(request, lambda req: view(req, *args, **kwargs))
            return view(request, *args, **kwargs)

        functools.update_wrapper(report_create, view)
        return report_create

    def get_queryset(self):
        visible = selectors.incident_list(user=self.request.user).values("pk")
        return Report.objects.filter(incident__in=visible).select_related("category", "suggested_category")

    def get_serializer_class(self):
        return ReportInSerializer if self.action == "create" else ReportOutSerializer

    @extend_schema(request=ReportInSerializer, responses={201: _REPORT_ACCEPTED, 200: _REPORT_ACCEPTED})
    def create(self, request, *args, **kwargs):
        ser = ReportInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        from . import groupcommit

        submit = groupcommit.submit if groupcommit.enabled() else services.report_submit
        report, created = call_service(submit, actor=request.user, data=ser.to_input())
        body = {"id": report.pk, "key": report.idempotency_key, "status": "accepted" if created else "duplicate",
                "incident": report.incident_id}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=BatchInSerializer, responses={200: _BATCH_RESULT})
    @action(detail=False, methods=["post"])
    def batch(self, request, *args, **kwargs):
        """Offline sync: up to 10,000 reports; each answered as accepted, duplicate or rejected with reasons."""
        reports = request.data.get("reports") if isinstance(request.data, dict) else None
        if not isinstance(reports, list) or not reports or len(reports) > 10000:
            raise ValidationError({"reports": "daftar 1-10.000 laporan"})
        items = batch_inputs(reports)
        results = services.report_submit_batch(actor=request.user, items=items)
        out = [{"index": r.index, "key": r.key, "status": r.status, "id": r.report_id,
                **({"errors": r.errors} if r.errors else {})} for r in results]
        summary = {s: sum(1 for r in results if r.status == s) for s in ("accepted", "duplicate", "rejected")}
        return Response({**summary, "results": out})

    @extend_schema(responses={200: _REPORTER})
    @action(detail=True, methods=["get"])
    def reporter(self, request, pk=None):
        """The reporter's name and contact (roles that need it only; every call is audited)."""
        report = self.get_object()
        return Response(call_service(services.report_reporter_reveal, actor=request.user, report=report))


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Incidents the caller's agency is routed or shared. Filters: region, category, status (or `open`),
    agency, severity_min, since, until, hours."""

    permission_classes = [IsAuthenticated, CanIncident]
    pagination_class = IncidentCursor
    required_actions = {"transition": "incident.triage", "update_incident": "incident.triage",
                        "merge": "incident.triage", "split": "incident.triage", "acknowledge": "incident.work"}

    def get_queryset(self):
        qs = selectors.incident_list(user=self.request.user)
        if self.action == "retrieve":
            return qs.select_related("category", "assigned_unit", "tps").prefetch_related(
                "timeline", "deadlines__rule", "reports__category", "reports__suggested_category")
        return selectors.incident_filter(qs, self.request.query_params, strict=True).select_related("category", "assigned_unit")

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentListSerializer

    @extend_schema(responses={200: _MAP_POINTS}, parameters=[
        OpenApiParameter("bbox", str, description="w,s,e,n (degrees)"),
        OpenApiParameter("limit", int, description="at most this many points (1-20,000; default 2,000)")])
    @action(detail=False, methods=["get"], pagination_class=None)
    def map(self, request):
        """Compact points for the map: newest first, at most `limit` (default 2,000, max 20,000), optional bbox."""
        qs = self.get_queryset().filter(lat__isnull=False)
        bbox = request.query_params.get("bbox")
        if bbox:
            try:
                w, s, e, n = (float(x) for x in bbox.split(","))
            except ValueError as exc:
                raise ValidationError({"bbox": "w,s,e,n"}) from exc
            qs = qs.filter(lat__range=(s, n), lng__range=(w, e))
        try:
            limit = max(1, min(int(request.query_params.get("limit", 2000)), 20000))
        except ValueError as exc:
            raise ValidationError({"limit": "angka"}) from exc
        rows = qs.order_by("-last_reported_at", "-id").values_list(
            "id", "lat", "lng", "category__code", "severity", "status", "title", "last_reported_at")[:limit]
        points = [[i, round(la, 5), round(ln, 5), c, sv, st, t[:60], int(ts.timestamp())]
                  for i, la, ln, c, sv, st, t, ts in rows]
        # Plain JSON (no renderer round-trip): thousands of points per call on the situation-room map.
        body = json.dumps({"type": "points", "fields": ["id", "lat", "lng", "category", "severity", "status",
                                                        "title", "last_reported_epoch"], "points": points},
                          separators=(",", ":"))
        return HttpResponse(body, content_type="application/json")

    def _incident(self, pk) -> Incident:
        return get_object_or_404(selectors.incident_list(user=self.request.user), pk=pk)

    @extend_schema(request=TransitionSerializer, responses={200: IncidentListSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        ser = TransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        inc = self._incident(pk)
        to = ser.validated_data["to"]
        if to in ("closed",) and not can(request.user, "incident.close"):
            raise PermissionDenied()
        unit = None
        if ser.validated_data.get("unit"):
            unit = Unit.objects.filter(code=ser.validated_data["unit"]).first()
            if unit is None:
                raise ValidationError({"unit": "satuan tidak dikenal"})
        inc = call_service(services.incident_transition, actor=request.user, incident=inc, to=to,
                            note=ser.validated_data.get("note", ""), unit=unit)
        return Response(IncidentListSerializer(inc).data)

    @extend_schema(request=None, responses={200: IncidentListSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        inc = self._incident(pk)
        if not (request.user.is_superuser or request.user.role == "admin" or (
                inc.assigned_unit_id and request.user.unit_id and inc.assigned_unit.is_within(request.user.unit))):
            raise PermissionDenied("hanya satuan yang ditugasi")
        inc = call_service(services.incident_acknowledge, actor=request.user, incident=inc)
        return Response(IncidentListSerializer(inc).data)

    @extend_schema(request=UpdateSerializer, responses={200: IncidentListSerializer})
    @action(detail=True, methods=["post"], url_path="update")
    def update_incident(self, request, pk=None):
        ser = UpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        inc = call_service(services.incident_update, actor=request.user, incident=self._incident(pk),
                            category=ser.validated_data.get("category"), severity=ser.validated_data.get("severity"),
                            note=ser.validated_data.get("note", ""))
        return Response(IncidentListSerializer(inc).data)

    @extend_schema(request=MergeSerializer, responses={200: IncidentListSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        ser = MergeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        target = self._incident(ser.validated_data["target"])
        inc = call_service(services.incident_merge, actor=request.user, source=self._incident(pk), target=target)
        return Response(IncidentListSerializer(inc).data)

    @extend_schema(request=SplitSerializer, responses={201: IncidentListSerializer})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        ser = SplitSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        new = call_service(services.incident_split, actor=request.user, incident=self._incident(pk),
                            report_ids=ser.validated_data["reports"])
        return Response(IncidentListSerializer(new).data, status=status.HTTP_201_CREATED)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, CanIncident]
    serializer_class = CategorySerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return Category.objects.filter(active=True)


def register(router) -> None:
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("incident-reports", ReportViewSet, basename="incident-report")
    # Report intake is the hottest route (thousands of POSTs a second at peak): list it first so URL resolution
    # does not try (and record as tried) ~100 other API patterns on every report. Prefixes do not overlap.
    router.registry.insert(0, router.registry.pop())
    router.register("incident-categories", CategoryViewSet, basename="incident-category")
