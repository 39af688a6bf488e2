"""API v1: deployment plans (list, run, results scoped by unit)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from sinergi.elections.selectors import default_election

from . import selectors
from .choices import SCENARIOS
from .models import Plan
from .permissions import can_run_plans, can_view_plans
from .serializers import (
    GuardGroupSerializer,
    PlanRunSerializer,
    PlanSerializer,
    PlanUnitSerializer,
    ReinforcementSerializer,
    ReserveSerializer,
)
from .services import plan_run


class RenpamSerializer(serializers.Serializer):
    approved = serializers.BooleanField()
    label = serializers.CharField()
    phase = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    plan = serializers.IntegerField(allow_null=True)
    approver_name = serializers.CharField(allow_blank=True)
    approver_rank = serializers.CharField(allow_blank=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    pdf_sha256 = serializers.CharField(allow_blank=True)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deployment plans (scenarios). Rows of results are scoped: a Polres sees its own, Polda all."""

    permission_classes = [IsAuthenticated]
    serializer_class = PlanSerializer
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Plan.objects.none()
        if not can_view_plans(self.request.user):
            raise PermissionDenied
        return selectors.plan_list(user=self.request.user)

    @extend_schema(request=PlanRunSerializer, responses={202: PlanSerializer})
    @action(detail=False, methods=["post"])
    def run(self, request):
        if not can_run_plans(request.user):
            raise PermissionDenied
        s = PlanRunSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        if s.validated_data["scenario"] not in SCENARIOS:
            return Response({"scenario": ["unknown"]}, status=status.HTTP_400_BAD_REQUEST)
        plan = plan_run(actor=request.user, election=default_election(), scenario=s.validated_data["scenario"],
                        name=s.validated_data.get("name", ""), parameters=s.validated_data.get("parameters"))
        return Response(PlanSerializer(plan).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[OpenApiParameter("phase", str, required=False)], responses=RenpamSerializer)
    @action(detail=False)
    def renpam(self, request):
        """The approved plan (Renpam) in force for the default election and a phase (default: voting day)."""
        from .choices import OperationPhase

        if not can_view_plans(request.user):
            raise PermissionDenied
        phase = request.query_params.get("phase") or OperationPhase.PEMUNGUTAN
        if phase not in OperationPhase.values:
            return Response({"phase": ["unknown"]}, status=status.HTTP_400_BAD_REQUEST)
        a = selectors.approved_plan(default_election(), phase)
        return Response({"approved": a is not None, "label": selectors.approved_plan_label(a), "phase": phase,
                         "version": a.version if a else None, "plan": a.plan_id if a else None,
                         "approver_name": a.approver_name if a else "", "approver_rank": a.approver_rank if a else "",
                         "approved_at": a.approved_at if a else None, "pdf_sha256": a.pdf_sha256 if a else ""})

    @extend_schema(responses=PlanUnitSerializer(many=True))
    @action(detail=True, pagination_class=None)  # the whole list, unpaginated
    def units(self, request, pk=None):
        plan = self.get_object()
        return Response(PlanUnitSerializer(selectors.plan_units(user=request.user, plan=plan), many=True).data)

    @extend_schema(responses=GuardGroupSerializer(many=True))
    @action(detail=True)
    def groups(self, request, pk=None):
        plan = self.get_object()
        qs = self.paginate_queryset(selectors.plan_groups(user=request.user, plan=plan))
        return self.get_paginated_response(GuardGroupSerializer(qs, many=True).data)

    @extend_schema(responses=ReinforcementSerializer(many=True))
    @action(detail=True, pagination_class=None)  # the whole list, unpaginated
    def reinforcements(self, request, pk=None):
        plan = self.get_object()
        return Response(ReinforcementSerializer(selectors.plan_reinforcements(user=request.user, plan=plan),
                                                many=True).data)

    @extend_schema(responses=ReserveSerializer(many=True))
    @action(detail=True, pagination_class=None)  # the whole list, unpaginated
    def reserves(self, request, pk=None):
        plan = self.get_object()
        return Response(ReserveSerializer(selectors.plan_reserves(user=request.user, plan=plan), many=True).data)


def register(router) -> None:
    router.register("deployment/plans", PlanViewSet, basename="deployment-plan")
