"""Scoped reads of units, strengths and users. Every page and API reads through these."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sinergi.core.permissions import has_perm

from .choices import AgencyKind, Role, UnitLevel
from .models import Unit, UnitStrength


def is_global(user) -> bool:
    """Admins (and superusers) see every unit's records."""
    return bool(user.is_superuser or user.role == Role.ADMIN)


def scope_units(user) -> QuerySet[Unit]:
    """Units whose restricted records the user may read: their own unit and everything under it.

    Polri's province-level commanders and analysts also see Polri and TNI units, because TNI serves as BKO
    under Polri's command during the operation: all of them where the Polda is Polri's top unit (a single-province
    deployment), those with jurisdiction in the Polda's province(s) where it sits under Mabes Polri (the national
    mode keeps each Polda's restricted records inside it; Mabes sees every Polda as its subtree).
    """
    if is_global(user):
        return Unit.objects.all()
    if not user.unit_id:
        return Unit.objects.none()
    unit = user.unit
    q = Q(path__startswith=unit.path)
    if (
        unit.agency.code == AgencyKind.POLRI
        and unit.level == UnitLevel.PROVINCE
        and user.role in (Role.COMMANDER, Role.ANALYST)
    ):
        polri_tni = Unit.objects.filter(agency__code__in=[AgencyKind.TNI, AgencyKind.POLRI])
        if unit.parent_id is not None:
            polri_tni = polri_tni.filter(jurisdiction__province_code__in=unit.jurisdiction.values("province_code"))
        q |= Q(pk__in=polri_tni.values("pk"))
    return Unit.objects.filter(q)


def unit_list(*, user) -> QuerySet[Unit]:
    """The unit directory (names, levels, jurisdictions) is visible to every signed-in user."""
    if not has_perm(user, "unit.view"):
        return Unit.objects.none()
    return Unit.objects.select_related("agency", "parent")


def unit_strength_list(*, user) -> QuerySet[UnitStrength]:
    """Personnel strength is restricted: only for units in the user's scope."""
    if not has_perm(user, "unit.view_strength"):
        return UnitStrength.objects.none()
    qs = UnitStrength.objects.select_related("unit", "unit__agency")
    if is_global(user):
        return qs
    return qs.filter(unit__in=scope_units(user))


