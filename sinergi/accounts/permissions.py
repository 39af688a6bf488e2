"""The permission matrix: which role may do which action. Scope (which records) is in selectors.

Documented for users in docs/permissions.md; a test checks the two agree.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .choices import AgencyKind, Role

VIEW_ACTIONS = {
    "region.view",
    "election.view",
    "tps.view",
    "unit.view",
    "map.view",
}

#: role -> actions it may perform (besides the read actions every role has)
MATRIX: dict[str, set[str]] = {
    Role.OBSERVER: set(VIEW_ACTIONS),
    Role.LIAISON: VIEW_ACTIONS | {"unit.view_strength", "taskrun.view"},
    Role.OPERATOR: VIEW_ACTIONS | {"unit.view_strength", "taskrun.view", "tps.import"},
    Role.ANALYST: VIEW_ACTIONS | {"unit.view_strength", "taskrun.view", "tps.import"},
    Role.COMMANDER: VIEW_ACTIONS | {"unit.view_strength", "taskrun.view", "audit.view"},
    Role.ADMIN: VIEW_ACTIONS
    | {"unit.view_strength", "taskrun.view", "tps.import", "audit.view", "user.manage", "unit.manage"},
}

#: actions only some agencies may perform, whatever the role
AGENCY_LIMITS: dict[str, set[str]] = {
    # The polling-station list belongs to KPU; Polri keeps a working copy for planning.
    "tps.import": {AgencyKind.KPU, AgencyKind.POLRI},
}


def has_perm(user, action: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if action not in MATRIX.get(user.role, set()):
        return False
    limit = AGENCY_LIMITS.get(action)
    if limit and user.role != Role.ADMIN:
        return user.unit_id is not None and user.unit.agency.code in limit
    return True


def require_perm(user, action: str) -> None:
    if not has_perm(user, action):
        raise PermissionDenied(f"not allowed: {action}")
