"""Reads of elections, stages, contests and polling stations (TPS) for the API."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet

from sinergi.core.permissions import has_perm

from .models import CandidatePair, Contest, Election, PollingStation, Stage


def election_list(*, user) -> QuerySet[Election]:
    if not has_perm(user, "election.view"):
        return Election.objects.none()
    return Election.objects.all()


def stage_list(*, user) -> QuerySet[Stage]:
    if not has_perm(user, "election.view"):
        return Stage.objects.none()
    return Stage.objects.select_related("election").only(
        "id", "code", "name", "name_en", "start_date", "end_date", "order", "election__id", "election__code"
    )


def contest_list(*, user) -> QuerySet[Contest]:
    if not has_perm(user, "election.view"):
        return Contest.objects.none()
    return (
        Contest.objects.annotate(region_name=F("region__name"), election_code=F("election__code"))
        .prefetch_related(Prefetch("pairs", queryset=CandidatePair.objects.order_by("number")))
    )


def tps_list(*, user) -> QuerySet[PollingStation]:
    """Polling stations with their village name and election code (no per-row queries)."""
    if not has_perm(user, "tps.view"):
        return PollingStation.objects.none()
    return PollingStation.objects.annotate(village_name=F("village__name"), election_code=F("election__code"))
