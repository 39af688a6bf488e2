"""API v1 of logistics escorts: movements (scoped list/detail, summary, map), leg events, hand-overs, seals.

Event endpoints take a client idempotency `key`: 201 {"id", "status": "accepted"} when stored, 200
{"id", "status": "duplicate"} on a retry, 400 naming the field on bad input (nothing stored), 403 without the
permission, 404 for a movement outside the caller's scope.
"""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.models import Unit
from sinergi.core.api_errors import call_service
from sinergi.core.permissions import has_perm
from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election

from . import selectors, services
from .serializers import (
    AcceptedSerializer,
    EscortMapSerializer,
    EscortSummarySerializer,
    HandoverInSerializer,
    LegEventInSerializer,
    MovementDetailSerializer,
    MovementInSerializer,
    MovementListSerializer,
    SealsInSerializer,
)


class CanEscort(BasePermission):
    def has_permission(self, request, view) -> bool:
        act = getattr(view, "required_actions", {}).get(getattr(view, "action", None), "escort.view")
        return has_perm(request.user, act)


#: service argument -> API field, so a 400 names the field the client sent
API_FIELDS = {"polling_station": "tps_code"}
_call = partial(call_service, api_fields=API_FIELDS)


def _answer(obj, created: bool) -> Response:
    return Response({"id": obj.pk, "status": "accepted" if created else "duplicate"},
                    status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _unit(code: str, field: str):
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationError({field: [_("kode satuan tidak dikenal")]})
    return unit


class MovementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Logistics movements the caller may see. Filters: regency, district, village, status, direction,
    mode (road|sea), delayed (1), key, q."""

    permission_classes = [IsAuthenticated, CanEscort]
    required_actions = {"events": "escort.handover", "handovers": "escort.handover", "seals": "escort.manage",
                        "create": "escort.manage"}
    filter_backends: list = []

    def get_queryset(self):
        qs = selectors.movement_list(user=self.request.user).select_related("polling_station")
        if self.action == "list":
            qs = selectors.movement_filter(qs, self.request.query_params)
            if self.request.query_params.get("key"):
                qs = qs.filter(key=self.request.query_params["key"])
        if self.action == "retrieve":
            qs = qs.prefetch_related("legs__escort_unit", "custody_events__polling_station",
                                     "custody_events__confirmed_by", "custody_events__from_unit",
                                     "custody_events__to_unit")
        return qs.order_by("planned_departure", "id")

    def get_serializer_class(self):
        if self.action == "create":
            return MovementInSerializer
        return MovementDetailSerializer if self.action == "retrieve" else MovementListSerializer

    @extend_schema(request=MovementInSerializer, responses={201: MovementDetailSerializer})
    def create(self, request, *args, **kwargs):
        """A movement entered by KPU or Polri: legs and expected times from the travel model (estimated)."""
        ser = MovementInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        election = default_election()
        if election is None:
            raise ValidationError({"direction": [_("belum ada pemilihan")]})
        origin = _call(services.node_from_code, election=election, kind=d["origin_kind"], code=d["origin_code"],
                       field="origin_code")
        dest = _call(services.node_from_code, election=election, kind=d["dest_kind"], code=d["dest_code"],
                     field="dest_code")
        m = _call(services.movement_create, actor=request.user, election=election, key=d["key"],
                  direction=d["direction"], origin=origin, dest=dest, planned_departure=d["planned_departure"],
                  escort_unit=_unit(d.get("escort_unit") or "", "escort_unit"), cargo=d.get("cargo") or {},
                  seals=d.get("seals") or [], note=d.get("note") or "")
        return Response(MovementDetailSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LegEventInSerializer, responses={200: AcceptedSerializer, 201: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        """A leg departure or arrival (idempotent by `key`)."""
        movement = self.get_object()
        ser = LegEventInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        leg = movement.legs.filter(order=d["leg"]).first()
        if leg is None:
            raise ValidationError({"leg": [_("perpindahan ini tidak punya ruas %(n)s") % {"n": d["leg"]}]})
        ev, created = _call(services.leg_event_record, actor=request.user, key=d["key"], leg=leg, kind=d["kind"],
                            at=d.get("at"), lat=d.get("lat"), lng=d.get("lng"), note=d.get("note") or "")
        return _answer(ev, created)

    @extend_schema(request=HandoverInSerializer, responses={200: AcceptedSerializer, 201: AcceptedSerializer})
    @action(detail=True, methods=["post"])
    def handovers(self, request, pk=None):
        """A hand-over (chain of custody) with the seals checked (idempotent by `key`)."""
        movement = self.get_object()
        ser = HandoverInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        tps = None
        if d.get("tps_code"):
            tps = PollingStation.objects.filter(election_id=movement.election_id, code=d["tps_code"]).first()
            if tps is None:
                raise ValidationError({"tps_code": [_("kode TPS tidak dikenal")]})
        ev, created = _call(
            services.handover_record, actor=request.user, key=d["key"], movement=movement, at=d.get("at"),
            place="tps" if tps is not None and d["place"] == "destination" else d["place"],
            from_name=d["from_name"], to_name=d["to_name"], from_agency=d.get("from_agency") or "",
            to_agency=d.get("to_agency") or "", from_unit=_unit(d.get("from_unit") or "", "from_unit"),
            to_unit=_unit(d.get("to_unit") or "", "to_unit"), seals_seen=d.get("seals_seen"),
            seal_check=d.get("seal_check") or "", polling_station=tps, note=d.get("note") or "")
        return _answer(ev, created)

    @extend_schema(request=SealsInSerializer, responses={200: MovementDetailSerializer})
    @action(detail=True, methods=["post"])
    def seals(self, request, pk=None):
        """Set the seal numbers of the movement's boxes (KPU at loading)."""
        movement = self.get_object()
        ser = SealsInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        m = _call(services.movement_set_seals, actor=request.user, movement=movement,
                  seals=ser.validated_data["seals"])
        return Response(MovementDetailSerializer(m).data)

    @extend_schema(responses={200: EscortSummarySerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Counts and lists of escorts (planned, in motion, arrived, delayed); expected times are estimates."""
        election = default_election()
        return Response(selectors.escort_summary(request.user, election=election))

    @extend_schema(responses={200: EscortMapSerializer})
    @action(detail=False, methods=["get"], url_path="map", pagination_class=None)
    def map(self, request):
        """GeoJSON of escorts in motion and delayed, with their legs (mode=sea for sea legs)."""
        return Response(selectors.map_features(user=request.user, election=default_election(),
                                               params=request.query_params))


def register(router) -> None:
    router.register("logistics-movements", MovementViewSet, basename="logistics-movement")
