"""Who may do what in vulnerability mapping (actions in sinergi.accounts.permissions.MATRIX).

* everyone signed in reads tiers, scores, the map, rankings and exports (``risk.view``);
* operators and analysts of any agency (and admins) enter observations (``risk.observe``), for TPS and regions
  inside their unit's jurisdiction;
* analysts and admins edit the indicator catalog and risk models, publish them and start a recompute
  (``risk.model.edit``, ``risk.model.publish``, ``risk.catalog.edit``, ``risk.recompute``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.accounts.choices import Role
from sinergi.core.permissions import has_perm


def can(user, action: str) -> bool:
    return has_perm(user, action)


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
