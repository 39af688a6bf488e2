"""Who may plan, from sinergi.accounts.permissions.MATRIX:

* ``plan.view``: every Polri user with a unit (rows are scoped: a Polres sees its own, Polda all), admins;
* ``plan.run``: Polri operators, analysts and commanders, admins.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
from sinergi.core.permissions import has_perm


def _polri(user) -> bool:
    return bool(user.unit_id and user.unit.agency.code == AgencyKind.POLRI)


def can_view_plans(user) -> bool:
    return has_perm(user, "plan.view")


def can_run_plans(user) -> bool:
    return has_perm(user, "plan.run")


def sees_whole_province(user) -> bool:
    """Polda (province level) and admins see every Polres' rows."""
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return bool(_polri(user) and user.unit.level == UnitLevel.PROVINCE)


def require(user, check) -> None:
    if not check(user):
        raise PermissionDenied("not allowed")
