"""Counts shown on the dashboard and printed by `sinergi status`."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from sinergi.accounts.models import Unit, User
from sinergi.elections.models import PollingStation
from sinergi.regions.models import Island, Region, RegionLevel


def dataset_status() -> dict:
    """Whole-system counts (operators' `sinergi status`); no restricted records are included."""
    levels = dict(Region.objects.values_list("level").annotate(n=Count("code")).values_list("level", "n"))
    tps = PollingStation.objects.aggregate(
        n=Count("id"),
        voters=Sum("voters"),
        estimated=Count("id", filter=Q(voters_estimated=True) | Q(location_estimated=True)),
    )
    return {
        "regions": {
            "provinces": levels.get(RegionLevel.PROVINCE, 0),
            "regencies": levels.get(RegionLevel.REGENCY, 0),
            "districts": levels.get(RegionLevel.DISTRICT, 0),
            "villages": levels.get(RegionLevel.VILLAGE, 0),
            "islands": Island.objects.count(),
        },
        "tps": tps["n"] or 0,
        "voters": tps["voters"] or 0,
        "estimated_tps": tps["estimated"] or 0,
        "units": Unit.objects.count(),
        "users": User.objects.filter(is_active=True).count(),
    }


def dashboard_counts(*, user) -> dict:
    return dataset_status()
