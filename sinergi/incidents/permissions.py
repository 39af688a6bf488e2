"""Incident permissions (role x action, some limited by agency). Scope (which incidents) is in selectors.

Until the integrator adds these actions to sinergi.accounts.permissions.MATRIX they live here.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from sinergi.accounts.choices import AgencyKind, Role

R = Role
ACTIONS: dict[str, set[str]] = {
    # submit reports through the staff form / API
    "incident.report": {R.OPERATOR, R.ANALYST, R.COMMANDER, R.LIAISON, R.ADMIN},
    "incident.view": {R.OPERATOR, R.ANALYST, R.COMMANDER, R.LIAISON, R.ADMIN, R.OBSERVER},
    # verify/reject, change category or severity, merge/split, assign, share
    "incident.triage": {R.OPERATOR, R.ANALYST, R.COMMANDER, R.ADMIN},
    # acknowledge, start, resolve: the assigned unit's people
    "incident.work": {R.OPERATOR, R.COMMANDER, R.LIAISON, R.ADMIN},
    "incident.close": {R.COMMANDER, R.ANALYST, R.ADMIN},
    # the reporter's name and contact: investigators and commanders of the enforcing agencies only
    "incident.view_reporter": {R.COMMANDER, R.ANALYST, R.ADMIN},
    "incident.export": {R.ANALYST, R.COMMANDER, R.ADMIN},
    "incident.configure": {R.ADMIN},
}

#: agencies whose people may use an action at all (admins excepted)
AGENCY_LIMITS: dict[str, set[str]] = {
    "incident.view_reporter": {AgencyKind.POLRI, AgencyKind.BAWASLU, AgencyKind.KEJAKSAAN},
}


def can(user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.role not in ACTIONS.get(action, set()):
        return False
    limit = AGENCY_LIMITS.get(action)
    if limit and user.role != Role.ADMIN:
        return bool(user.unit_id) and user.unit.agency.code in limit
    return True


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(f"not allowed: {action}")
