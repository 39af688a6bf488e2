"""API v1: roster (scoped, phones masked; reveal audited), status reports (idempotent), dispatch (suggestions,
assign, acknowledge / on scene / cleared)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.permissions import has_perm
from sinergi.api.errors import call_service

from . import selectors, services
from .choices import DispatchState, Status
from .models import Dispatch, Officer


class OfficerSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = Officer
        fields = ["id", "kind", "identifier", "name", "rank", "senior", "unit", "unit_code", "function",
                  "phone_masked", "status", "status_at", "demo"]

    def get_phone_masked(self, obj) -> str:
        return selectors.mask_phone(obj.phone)


class PhoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField()


class OfficerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Officers of the user's unit subtree. Phone numbers are masked; `reveal_phone` shows one and audits it."""

    permission_classes = [IsAuthenticated]
    serializer_class = OfficerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Officer.objects.none()
        if not has_perm(self.request.user, "personnel.view"):
            raise PermissionDenied
        return selectors.officer_list(user=self.request.user).order_by("unit__code", "name", "id")

    @extend_schema(request=None, responses=PhoneSerializer)
    @action(detail=True, methods=["post"])
    def reveal_phone(self, request, pk=None):
        officer = self.get_object()
        phone = call_service(services.officer_phone_reveal, actor=request.user, officer=officer)
        return Response({"id": officer.pk, "phone": phone})


class StatusInSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=80)
    status = serializers.ChoiceField(choices=Status.choices)
    at = serializers.DateTimeField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    officer = serializers.IntegerField(required=False, allow_null=True)


class StatusOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    created = serializers.BooleanField()


class StatusMapSerializer(serializers.Serializer):
    statuses = serializers.ListField(child=serializers.DictField(), help_text="value, label, color per status")
    units = serializers.ListField(child=serializers.ListField(), help_text=(
        "[unit id, lat, lng, unit name, Polres code, available, on_post, en_route, on_scene, off_duty, total]"))
    polres = serializers.ListField(child=serializers.DictField(), help_text="counts per Polres and status")
    total = serializers.IntegerField()
    unplaced = serializers.IntegerField(help_text="officers of units without a map point (counted, not drawn)")


class StatusReportViewSet(viewsets.GenericViewSet):
    """The officer's own status (or a member of the user's units): idempotent by `key`."""

    permission_classes = [IsAuthenticated]
    serializer_class = StatusInSerializer

    @extend_schema(request=StatusInSerializer, responses={201: StatusOutSerializer, 200: StatusOutSerializer})
    def create(self, request):
        if not has_perm(request.user, "status.report"):
            raise PermissionDenied
        s = StatusInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        officer = None
        if d.get("officer"):
            officer = selectors.officer_get(user=request.user, pk=d["officer"])
            if officer is None:
                raise NotFound("officer")
        rep, created = call_service(services.status_report, actor=request.user, key=d["key"], status=d["status"],
                                    at=d.get("at"), lat=d.get("lat"), lng=d.get("lng"), officer=officer)
        return Response({"id": rep.pk, "status": rep.status, "created": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=StatusMapSerializer)
    @action(detail=False, methods=["get"], url_path="map")
    def status_map(self, request):
        """Officer status per unit (for a map: one row per unit, never per officer) and per Polres, scoped to the
        user's unit subtree; no names or phone numbers."""
        if not has_perm(request.user, "personnel.view"):
            raise PermissionDenied
        return Response(selectors.status_map(user=request.user))


class DispatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dispatch
        fields = ["id", "incident", "resource_kind", "resource_key", "label", "unit", "polres", "eta_minutes", "state",
                  "assigned_at", "acknowledged_at", "on_scene_at", "cleared_at"]


class DispatchInSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    resource = serializers.CharField(max_length=40)


class AdvanceSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[s for s in DispatchState.choices if s[0] != DispatchState.ASSIGNED])


class SuggestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    minutes = serializers.FloatField()


def _incident(user, pk):
    from sinergi.incidents.selectors import incident_get

    try:
        inc = incident_get(user=user, pk=int(pk))
    except (TypeError, ValueError):
        inc = None
    if inc is None:
        raise NotFound("incident")
    return inc


class DispatchViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Units sent to incidents: suggestions (nearest available, ETA over roads and sea crossings), assign, advance."""

    permission_classes = [IsAuthenticated]
    serializer_class = DispatchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dispatch.objects.none()
        return selectors.dispatch_list(user=self.request.user).order_by("-assigned_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("incident", int, required=True)],
                   responses=SuggestionSerializer(many=True))
    @action(detail=False, pagination_class=None)
    def suggestions(self, request):
        from .dispatch import suggest

        if not has_perm(request.user, "dispatch.assign"):
            raise PermissionDenied
        inc = _incident(request.user, request.query_params.get("incident"))
        return Response([{"key": s.key, "kind": s.kind, "label": s.label, "minutes": s.minutes}
                         for s in suggest(inc)])

    @extend_schema(request=DispatchInSerializer, responses={201: DispatchSerializer})
    def create(self, request):
        if not has_perm(request.user, "dispatch.assign"):
            raise PermissionDenied
        s = DispatchInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        inc = _incident(request.user, s.validated_data["incident"])
        d = call_service(services.dispatch_assign, actor=request.user, incident=inc,
                         resource_key=s.validated_data["resource"])
        return Response(DispatchSerializer(d).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdvanceSerializer, responses=DispatchSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        s = AdvanceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = self.get_queryset().filter(pk=pk).first()
        if d is None:
            raise NotFound("dispatch")
        d = call_service(services.dispatch_advance, actor=request.user, dispatch=d, state=s.validated_data["state"])
        return Response(DispatchSerializer(d).data)


def register(router) -> None:
    router.register("personnel/officers", OfficerViewSet, basename="officer")
    router.register("personnel/status", StatusReportViewSet, basename="personnel-status")
    router.register("personnel/dispatches", DispatchViewSet, basename="dispatch")
