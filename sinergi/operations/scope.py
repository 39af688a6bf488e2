"""Which TPS a user may check in for, and which TPS' operations records a user may read.

A TPS is matched by region-code prefixes: province "53", regency "53.01", district "53.01.04" (the TPS's
district_code). Who may check in (action ``checkin.submit``, Polri/TNI): officers whose unit's jurisdiction covers
the TPS; a Polsek also covers its Polres' whole regency (officers move between kecamatan on voting day); units
above (Polda) cover everything below; units named for the TPS in the latest deployment plan (GuardGroup.unit /
GuardGroup.polsek) too; admins everywhere. Who may read (``ops.view``): records of the TPS in the jurisdiction of
the units in the user's scope (sinergi.accounts.selectors.scope_units); admins everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core.permissions import has_perm


def _collapse(codes: set[str]) -> tuple[str, ...]:
    """Drop codes covered by a broader one ("53.01" when "53" is present)."""
    out: list[str] = []
    for c in sorted(codes, key=lambda c: (c.count("."), c)):
        if not any(c == p or c.startswith(p + ".") for p in out):
            out.append(c)
    return tuple(sorted(out))


@dataclass(frozen=True)
class TpsScope:
    everything: bool
    prefixes: tuple[str, ...] = ()

    def covers(self, district_code: str) -> bool:
        if self.everything:
            return True
        return any(district_code == p or district_code.startswith(p + ".") for p in self.prefixes)

    def q(self, prefix: str = "") -> Q:
        """A filter on a model with regency_code/district_code fields (prefix e.g. "polling_station__")."""
        if self.everything:
            return Q()
        if not self.prefixes:
            return Q(pk__in=[])
        q = Q()
        for p in self.prefixes:
            dots = p.count(".")
            if dots == 0:
                q |= Q(**{f"{prefix}regency_code__startswith": p + "."})
            elif dots == 1:
                q |= Q(**{f"{prefix}regency_code": p})
            elif dots == 2:
                q |= Q(**{f"{prefix}district_code": p})
            else:
                q |= Q(**{f"{prefix}district_code": p.rsplit(".", 1)[0]})
        return q


def _jurisdiction_codes(units) -> set[str]:
    return set(Unit.jurisdiction.through.objects.filter(unit__in=units).values_list("region_id", flat=True))


def read_scope(user) -> TpsScope:
    if not has_perm(user, "ops.view"):
        return TpsScope(False)
    if is_global(user):
        return TpsScope(True)
    return TpsScope(False, _collapse(_jurisdiction_codes(scope_units(user))))


def checkin_scope(user) -> TpsScope:
    if not has_perm(user, "checkin.submit"):
        return TpsScope(False)
    if is_global(user):
        return TpsScope(True)
    unit = user.unit
    units = [unit]
    if unit.agency.code == AgencyKind.POLRI and unit.level == UnitLevel.DISTRICT and unit.parent_id:
        units.append(unit.parent)  # a Polsek covers its Polres' regency
    codes = _jurisdiction_codes(units)
    # units below (a Polda officer covers every Polres under it)
    codes |= _jurisdiction_codes(Unit.objects.filter(path__startswith=unit.path))
    return TpsScope(False, _collapse(codes))


def planned_tps_ids(user, tps_ids) -> set[int]:
    """TPS among `tps_ids` that the approved Renpam (voting phase) gives to the user's unit (GuardGroup unit or
    Polsek), e.g. a BKO unit from outside the regency. No approved Renpam: none."""
    if not user.unit_id:
        return set()
    from sinergi.deployment.models import GuardAssignment, PlanApproval
    from sinergi.elections.models import PollingStation

    tps_ids = list(tps_ids)
    election_ids = PollingStation.objects.filter(pk__in=tps_ids[:1]).values("election_id")
    plan = (PlanApproval.objects.filter(phase="pemungutan", is_current=True, election_id__in=election_ids)
            .values_list("plan_id", flat=True).first())
    if plan is None:
        return set()
    return set(GuardAssignment.objects.filter(plan=plan, polling_station_id__in=list(tps_ids))
               .filter(Q(group__unit_id=user.unit_id) | Q(group__polsek_id=user.unit_id))
               .values_list("polling_station_id", flat=True))


def polres_by_regency(regency_codes) -> dict[str, Unit]:
    """The Polres (Polri unit at regency level) whose jurisdiction holds each regency code."""
    rows = (Unit.jurisdiction.through.objects
            .filter(region_id__in=list(set(regency_codes)), unit__agency__code=AgencyKind.POLRI,
                    unit__level=UnitLevel.REGENCY)
            .select_related("unit").order_by("unit__path"))
    out: dict[str, Unit] = {}
    for r in rows:
        out.setdefault(r.region_id, r.unit)
    return out


def checkin_grant(user) -> tuple[bool, TpsScope]:
    """(may submit check-ins, area) of a user, cached per process (sinergi.operations.cache) by the user's id,
    unit, role and flags, so a changed role or unit is seen at once and a changed jurisdiction within the TTL."""
    from . import cache

    if user is None or not getattr(user, "is_authenticated", False):
        return False, TpsScope(False)
    key = (user.pk, user.unit_id, getattr(user, "role", ""), user.is_active, user.is_superuser)
    return cache.get("grant", key, lambda: (has_perm(user, "checkin.submit"), checkin_scope(user)))


def polres_of_regency(regency_code: str) -> Unit | None:
    """polres_by_regency for one code, cached per process (sinergi.operations.cache)."""
    from . import cache

    return cache.get("polres", regency_code, lambda: polres_by_regency([regency_code]).get(regency_code))
