"""Who may read and generate which situation report.

The rule (docs/situation-report.md): a report covers the territory of its scope unit (Polda: the province;
a Polres: its regency). A user with ``sitrep.view`` may read a report when their *reach* covers that territory.
A user's reach is the jurisdiction of their unit (or of the nearest ancestor that has one), widened to the
regency: a Polsek or a kecamatan-level officer reads their Polres' report. So Polda staff and province-level
partners (KPU/Bawaslu Provinsi, Korem, Pemprov) read every report of the province; a Polres or a KPU
Kabupaten reads the reports of its own regency only — not the province report, which carries the other
regencies' incidents, and not another Polres' report. Admins read everything. Generating needs
``sitrep.generate`` and the same reach over the scope unit.

On top of the reach, the report's scope unit must lie in the reader's unit scope (``unit_q``): a report holds
the incidents its scope unit may read, so a Polsek, a partner agency or another Polres reads none of it.
"""

from __future__ import annotations

from django.db.models import Q

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core.permissions import has_perm

REGENCY_CODE_LEN = 5  # "53.01"


def can_view(user) -> bool:
    return has_perm(user, "sitrep.view")


def can_generate(user) -> bool:
    return has_perm(user, "sitrep.generate")


def can_subscribe(user) -> bool:
    return has_perm(user, "sitrep.subscribe")


def unit_region_code(unit: Unit) -> str:
    """The one region code covering a unit's jurisdiction (their longest common dotted prefix)."""
    codes = sorted(unit.jurisdiction.values_list("code", flat=True))
    if not codes:
        return ""
    parts = codes[0].split(".")
    for code in codes[1:]:
        other = code.split(".")
        n = 0
        while n < min(len(parts), len(other)) and parts[n] == other[n]:
            n += 1
        parts = parts[:n]
    return ".".join(parts)


def reach_codes(user) -> list[str] | None:
    """Region codes the user's reports may cover; None means everything (admins)."""
    if is_global(user):
        return None
    unit = user.unit if getattr(user, "unit_id", None) else None
    while unit is not None:
        codes = list(unit.jurisdiction.values_list("code", flat=True))
        if codes:
            return sorted({c[:REGENCY_CODE_LEN] for c in codes})
        unit = unit.parent
    return []


def covers(reach: list[str] | None, region_code: str) -> bool:
    if reach is None:
        return True
    return any(region_code == r or region_code.startswith(r + ".") for r in reach)


def reach_q(reach: list[str] | None, field: str = "region_code") -> Q:
    if reach is None:
        return Q()
    q = Q(pk__in=[])
    for r in reach:
        q |= Q(**{field: r}) | Q(**{f"{field}__startswith": r + "."})
    return q


def unit_q(user, field: str = "scope_unit") -> Q:
    """Reports made for a unit in the user's unit scope (their own unit or one below it; admins: all).

    A report carries the incidents its scope unit may read (content.build reads them as the unit's analyst),
    so only readers whose own scope includes that unit read it: a Polres reads its own report, Polda staff
    every report; a Polsek, a partner agency or another Polres does not (issue 15, ADR 0012)."""
    if is_global(user):
        return Q()
    if not getattr(user, "unit_id", None):
        return Q(pk__in=[])
    return Q(**{f"{field}__in": scope_units(user)})


def can_read(user, report) -> bool:
    return (can_view(user) and covers(reach_codes(user), report.region_code)
            and (is_global(user) or scope_units(user).filter(pk=report.scope_unit_id).exists()))


def is_scope_unit(unit: Unit) -> bool:
    """Situation reports are made for Polda (province) and Polres (regency) units."""
    return unit.agency.code == AgencyKind.POLRI and unit.level in (UnitLevel.PROVINCE, UnitLevel.REGENCY)


def can_generate_for(user, unit: Unit) -> bool:
    return (can_generate(user) and is_scope_unit(unit) and covers(reach_codes(user), unit_region_code(unit))
            and (is_global(user) or scope_units(user).filter(pk=unit.pk).exists()))


def can_manage_subscription(user, subscription) -> bool:
    return can_subscribe(user) and (subscription.user_id == user.pk or is_global(user))
