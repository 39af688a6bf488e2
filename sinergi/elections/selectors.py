"""Scoped reads of the elections app.

Import runs (TaskRun kind "tps_import"): admins see every run; other users see runs whose unit is in their
scope (`sinergi.accounts.selectors.scope_units`) and their own runs.

The election shown by the region browser, the map and the operational pages is `default_election()` (Pilkada 2024
when loaded, else the latest one); TPS reads for the region pages and the map are in `selectors_map`.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from sinergi.accounts.models import Unit, User
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core.models import TaskRun
from sinergi.core.permissions import has_perm
from sinergi.regions.models import Island, Region, RegionLevel

from .models import Election, PollingStation

TPS_IMPORT_KIND = "tps_import"
DEFAULT_ELECTION_CODE = "pilkada-2024"


def default_election() -> Election | None:
    """The election the browser and map show: Pilkada 2024 when loaded, else the latest one."""
    return Election.objects.filter(code=DEFAULT_ELECTION_CODE).first() or Election.objects.first()


def polling_station_list(*, user, election: Election | None) -> QuerySet[PollingStation]:
    if election is None or not has_perm(user, "tps.view"):
        return PollingStation.objects.none()
    return PollingStation.objects.filter(election=election)


def polling_station_get(*, user, pk: int) -> PollingStation | None:
    """One TPS with its desa, kecamatan and kabupaten names (two queries)."""
    if not has_perm(user, "tps.view"):
        return None
    tps = PollingStation.objects.select_related("village", "election").filter(pk=pk).first()
    if tps is None:
        return None
    names = dict(
        Region.objects.filter(code__in=[tps.district_code, tps.regency_code]).values_list("code", "name")
    )
    tps.district_name = names.get(tps.district_code, "")
    tps.regency_name = names.get(tps.regency_code, "")
    return tps


def tps_import_run_list(*, user) -> QuerySet[TaskRun]:
    """TPS import runs the user may read, newest first."""
    if not (has_perm(user, "taskrun.view") or has_perm(user, "tps.import")):
        return TaskRun.objects.none()
    qs = TaskRun.objects.filter(kind=TPS_IMPORT_KIND).select_related("created_by", "unit")
    if is_global(user):
        return qs
    return qs.filter(Q(unit__in=scope_units(user)) | Q(created_by=user))


def tps_import_run_get(*, user, pk: int) -> TaskRun | None:
    """One import run, or None when it does not exist or is outside the user's scope."""
    return tps_import_run_list(user=user).filter(pk=pk).first()


# -- counts shown on the dashboard and printed by `sinergi status` (moved from core: they read the foundation
# apps above it) --------------------------------------------------------------------------------------------------

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
