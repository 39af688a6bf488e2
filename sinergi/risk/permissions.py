"""Who may do what in vulnerability mapping (until the actions join the global MATRIX).

* everyone signed in reads tiers, scores, the map, rankings and exports (``risk.view``);
* operators and analysts of any agency (and admins) enter observations (``risk.observe``), for TPS and regions
  inside their unit's jurisdiction;
* analysts and admins edit the indicator catalog and risk models, publish them and start a recompute
  (``risk.model.edit``, ``risk.model.publish``, ``risk.catalog.edit``, ``risk.recompute``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.accounts.choices import Role

ALL_ROLES = {Role.OBSERVER, Role.LIAISON, Role.OPERATOR, Role.ANALYST, Role.COMMANDER, Role.ADMIN}

RISK_MATRIX: dict[str, set[str]] = {
    "risk.view": set(ALL_ROLES),
    "risk.observe": {Role.OPERATOR, Role.ANALYST, Role.ADMIN},
    "risk.catalog.edit": {Role.ANALYST, Role.ADMIN},
    "risk.model.edit": {Role.ANALYST, Role.ADMIN},
    "risk.model.publish": {Role.ANALYST, Role.ADMIN},
    "risk.recompute": {Role.ANALYST, Role.ADMIN},
}


def can(user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in RISK_MATRIX.get(action, set())


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(f"not allowed: {action}")


def jurisdiction_codes(user) -> list[str] | None:
    """Region codes the user's observations may cover: None = everywhere (admins), [] = nowhere."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    if not user.unit_id:
        return []
    return list(user.unit.jurisdiction.values_list("code", flat=True))


def code_in(code: str, prefixes: list[str] | None) -> bool:
    """Is region `code` (or a TPS's desa code) inside one of the jurisdiction codes?"""
    if prefixes is None:
        return True
    return any(code == p or code.startswith(p + ".") for p in prefixes)
