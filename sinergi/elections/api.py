"""API v1: elections, their stages and contests, and polling stations (TPS). Read-only."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from sinergi.core.api_permissions import HasAction

from .filters import ContestFilter, PollingStationFilter, StageFilter
from .selectors_tps import contest_list, election_list, stage_list, tps_list
from .serializers import ContestSerializer, ElectionSerializer, PollingStationSerializer, StageSerializer


class _ReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, HasAction]


class ElectionViewSet(_ReadOnly):
    required_action = "election.view"
    serializer_class = ElectionSerializer
    filterset_fields = ["code"]
    ordering_fields = ["voting_date", "code"]
    ordering = ["-voting_date", "id"]

    def get_queryset(self):
        return election_list(user=self.request.user)


class StageViewSet(_ReadOnly):
    """The election calendar (tahapan)."""

    required_action = "election.view"
    serializer_class = StageSerializer
    filterset_class = StageFilter
    ordering_fields = ["order", "start_date", "end_date"]
    ordering = ["election_id", "order", "start_date"]

    def get_queryset(self):
        return stage_list(user=self.request.user)


class ContestViewSet(_ReadOnly):
    """Races (governor, regent, mayor) with their candidate pairs."""

    required_action = "election.view"
    serializer_class = ContestSerializer
    filterset_class = ContestFilter
    ordering_fields = ["region", "kind"]
    ordering = ["election_id", "region_id"]

    def get_queryset(self):
        return contest_list(user=self.request.user)


class PollingStationViewSet(_ReadOnly):
    """Polling stations (TPS). Estimated values carry `voters_estimated` / `location_estimated`."""

    required_action = "tps.view"
    serializer_class = PollingStationSerializer
    filterset_class = PollingStationFilter
    ordering_fields = ["code", "voters", "regency_code", "district_code"]
    ordering = ["code", "id"]

    def get_queryset(self):
        return tps_list(user=self.request.user)


def register(router) -> None:
    router.register("elections", ElectionViewSet, basename="election")
    router.register("stages", StageViewSet, basename="stage")
    router.register("contests", ContestViewSet, basename="contest")
    router.register("tps", PollingStationViewSet, basename="tps")
