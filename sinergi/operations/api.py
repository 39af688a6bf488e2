"""API v1 of election-day operations; sinergi/api/router.py calls register(router).

POST /api/v1/checkins/ {"key", "tps", "kind", "at"?, "note"?, "lat"?, "lng"?} -> 201 {"id", "status": "accepted"}
or 200 {"id", "status": "duplicate"}; 400 naming the field; 403 outside the officer's area.
POST /api/v1/checkins/batch/ {"items": [...]} (<= 5,000) -> 200 {"results": [{"index", "key", "status", "id"?,
"error"?}], "accepted", "duplicate", "rejected"}.
GET /api/v1/checkins/ (scoped; filters tps, kind, since, until), /api/v1/checkins/{id}/,
GET /api/v1/checkins/coverage/ (per Polres), GET /api/v1/ops-alerts/ (open, scoped), POST .../{id}/acknowledge/.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.core.api_errors import call_service
from sinergi.core.permissions import has_perm
from sinergi.elections.selectors import default_election

from . import selectors, services
from .models import Alert, CheckIn, CheckInChannel
from .scope import checkin_grant


def _when(name: str, value: str):
    """A query-parameter date-time, or a 400 naming the parameter (never a 500 from the database layer)."""
    from django.utils.dateparse import parse_datetime

    try:
        when = parse_datetime(value)
    except ValueError:
        when = None
    if when is None or not 1 < when.year < 9999:
        raise serializers.ValidationError({name: "Waktu ISO 8601, mis. 2024-11-27T07:00:00+08:00 "
                                                 "(ISO 8601 date-time expected)."})
    return when if timezone.is_aware(when) else timezone.make_aware(when)

class CanOps(BasePermission):
    def has_permission(self, request, view) -> bool:
        act = getattr(view, "required_actions", {}).get(getattr(view, "action", None), "ops.view")
        if act == "checkin.submit":  # the hot path: cached per process with the user's area (scope.checkin_grant)
            return checkin_grant(request.user)[0]
        return has_perm(request.user, act)


class CheckInSerializer(serializers.ModelSerializer):
    tps = serializers.CharField(source="polling_station.code", read_only=True)
    officer = serializers.CharField(source="officer.username", read_only=True, default=None, allow_null=True)
    polres = serializers.CharField(source="polres.code", read_only=True, default=None, allow_null=True)
    roster_officer = serializers.SerializerMethodField(
        help_text="The named officer on the roster behind the check-in (the officer linked to the reporting "
                  "account, else the leader of the group guarding the TPS): {id, name, rank, identifier}; null "
                  "when none or when the reader lacks personnel.view. Never a phone number.")

    class Meta:
        model = CheckIn
        fields = ["id", "key", "tps", "kind", "at", "received_at", "channel", "officer", "polres", "note", "lat",
                  "lng", "flags", "report", "roster_officer"]

    def get_roster_officer(self, obj) -> dict | None:
        o = obj.roster_officer if obj.roster_officer_id else None
        request = self.context.get("request")
        if o is None or request is None or not has_perm(request.user, "personnel.view"):
            return None
        return {"id": o.pk, "name": o.name, "rank": o.rank, "identifier": o.identifier, "demo": o.demo}


class CheckInInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    tps = serializers.CharField(max_length=24)
    kind = serializers.ChoiceField(choices=["opened", "voting", "closed", "counted", "handed_over", "problem"])
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    lat = serializers.FloatField(required=False)
    lng = serializers.FloatField(required=False)


class AlertSerializer(serializers.ModelSerializer):
    tps = serializers.CharField(source="polling_station.code", read_only=True, default=None, allow_null=True)
    unit = serializers.CharField(source="unit.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Alert
        fields = ["id", "key", "kind", "severity", "message", "unit", "tps", "raised_at", "due_at",
                  "acknowledged_at", "resolved_at", "data"]


class NewestFirst(CursorPagination):
    ordering = ("-at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


_CHECKIN_ACCEPTED = inline_serializer("CheckInAccepted", {
    "id": serializers.IntegerField(), "status": serializers.ChoiceField(choices=["accepted", "duplicate"])})


class CheckInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """TPS check-ins: submit (idempotent by `key`), batch, list and read (scoped), coverage per Polres."""

    permission_classes = [IsAuthenticated, CanOps]
    required_actions = {"create": "checkin.submit", "batch": "checkin.submit"}
    serializer_class = CheckInSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        qs = selectors.checkin_list(self.request.user).select_related("polling_station", "officer", "polres",
                                                                     "roster_officer")
        p = self.request.query_params
        if p.get("tps"):
            qs = qs.filter(polling_station__code=p["tps"])
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"])
        for name, lookup in (("since", "at__gte"), ("until", "at__lt")):
            if p.get(name):
                qs = qs.filter(**{lookup: _when(name, p[name])})
        return qs

    @extend_schema(request=CheckInInSerializer, responses={
        201: _CHECKIN_ACCEPTED,
        200: OpenApiResponse(_CHECKIN_ACCEPTED, description="a retry: the key was seen before (`duplicate`)")})
    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": "objek JSON diharapkan"})
        # A signed-in browser (the check-in page's offline queue) counts as the web channel; tokens as the API.
        channel = CheckInChannel.WEB if request.auth is None else CheckInChannel.API
        item = call_service(services.CheckInInput.parse, data=dict(request.data.items()), channel=channel)
        checkin, created = call_service(services.checkin_submit, actor=request.user, data=item)
        return Response({"id": checkin.pk, "status": "accepted" if created else "duplicate"},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=inline_serializer("CheckInBatch", {"items": CheckInInSerializer(many=True)}),
                   responses={200: inline_serializer("CheckInBatchResults", {
                       "accepted": serializers.IntegerField(), "duplicate": serializers.IntegerField(),
                       "rejected": serializers.IntegerField(),
                       "results": serializers.ListField(child=serializers.DictField())})})
    @action(detail=False, methods=["post"])
    def batch(self, request, *args, **kwargs):
        """Up to 5,000 check-ins; each answered accepted, duplicate or rejected (with the field and reason)."""
        items = request.data.get("items") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not items or len(items) > services.MAX_BATCH:
            raise ValidationError({"items": f"daftar 1-{services.MAX_BATCH} laporan"})
        results = call_service(services.checkin_submit_batch, actor=request.user, items=items)
        summary = {s: sum(1 for r in results if r.status == s) for s in ("accepted", "duplicate", "rejected")}
        return Response({**summary, "results": [r.as_dict() for r in results]})

    @extend_schema(responses={200: inline_serializer("Coverage", {
        "results": serializers.ListField(child=serializers.DictField()),
        "totals": serializers.DictField(help_text="the same counts over every Polres in scope")})})
    @action(detail=False, methods=["get"])
    def coverage(self, request, *args, **kwargs):
        """Coverage per Polres in the caller's scope (TPS total, opened, voting, closed, counted, handed over,
        problems, missing)."""
        election = default_election()
        rows = selectors.coverage_by_polres(request.user, election=election) if election else []
        return Response({"results": rows,
                         "totals": selectors.checkin_totals(request.user, election=election) if election else {}})


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open alerts in the caller's scope (`?all=1` includes resolved ones); acknowledge."""

    permission_classes = [IsAuthenticated, CanOps]
    required_actions = {"acknowledge": "ops.alert.ack"}
    serializer_class = AlertSerializer

    def get_queryset(self):
        open_only = self.request.query_params.get("all") not in ("1", "true")
        qs = selectors.alerts_for(self.request.user, open_only=open_only)
        if self.request.query_params.get("kind"):
            qs = qs.filter(kind=self.request.query_params["kind"])
        return qs

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = call_service(services.alert_acknowledge, actor=request.user, alert=self.get_object())
        return Response(AlertSerializer(alert).data)


def register(router) -> None:
    router.register("checkins", CheckInViewSet, basename="checkin")
    router.register("ops-alerts", AlertViewSet, basename="ops-alert")
