"""The permission matrix: which role may do which action. Scope (which records) is in selectors.

Documented for users in docs/permissions.md; a test checks the two agree.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .choices import AgencyKind, Role

VIEW_ACTIONS = {
    "risk.view",
    "region.view",
    "election.view",
    "tps.view",
    "unit.view",
    "map.view",
}

#: role -> actions it may perform (besides the read actions every role has)
MATRIX: dict[str, set[str]] = {
    Role.OBSERVER: VIEW_ACTIONS | {"plan.view"},
    Role.LIAISON: VIEW_ACTIONS | {"unit.view_strength", "taskrun.view", "plan.view", "coordination.write"},
    Role.OPERATOR: VIEW_ACTIONS
    | {"unit.view_strength", "taskrun.view", "tps.import", "plan.view", "plan.run", "coordination.write"},
    Role.ANALYST: VIEW_ACTIONS
    | {"unit.view_strength", "taskrun.view", "tps.import", "plan.view", "plan.run", "coordination.write"},
    Role.COMMANDER: VIEW_ACTIONS
    | {"unit.view_strength", "taskrun.view", "audit.view", "plan.view", "plan.run", "coordination.write",
       "coordination.marking_change"},
    Role.ADMIN: VIEW_ACTIONS
    | {"unit.view_strength", "taskrun.view", "tps.import", "audit.view", "user.manage", "unit.manage",
       "plan.view", "plan.run", "coordination.write", "coordination.marking_change"},
}

_RISK_EDIT = {"risk.catalog.edit", "risk.model.edit", "risk.model.publish", "risk.recompute"}
MATRIX[Role.OPERATOR] |= {"risk.observe"}
MATRIX[Role.ANALYST] |= {"risk.observe"} | _RISK_EDIT
MATRIX[Role.ADMIN] |= {"risk.observe"} | _RISK_EDIT

# Incidents: report (all but observers), view, triage, work the assigned incident, close, see the reporter,
# export, configure routing/taxonomy.
for _role, _actions in {
    Role.OBSERVER: {"incident.view"},
    Role.LIAISON: {"incident.report", "incident.view", "incident.work"},
    Role.OPERATOR: {"incident.report", "incident.view", "incident.triage", "incident.work"},
    Role.ANALYST: {"incident.report", "incident.view", "incident.triage", "incident.close",
                   "incident.view_reporter", "incident.export"},
    Role.COMMANDER: {"incident.report", "incident.view", "incident.triage", "incident.work", "incident.close",
                     "incident.view_reporter", "incident.export"},
    Role.ADMIN: {"incident.report", "incident.view", "incident.triage", "incident.work", "incident.close",
                 "incident.view_reporter", "incident.export", "incident.configure"},
}.items():
    MATRIX[_role] |= _actions

#: actions only some agencies may perform, whatever the role
AGENCY_LIMITS: dict[str, set[str]] = {
    # The polling-station list belongs to KPU; Polri keeps a working copy for planning.
    "tps.import": {AgencyKind.KPU, AgencyKind.POLRI},
    # Security deployment plans are Polri's (TNI serves as BKO under Polri's command).
    "plan.view": {AgencyKind.POLRI},
    "plan.run": {AgencyKind.POLRI},
    # The public takes part through the public report form only.
    "coordination.write": set(AgencyKind) - {AgencyKind.PUBLIC},
    "coordination.marking_change": set(AgencyKind) - {AgencyKind.PUBLIC},
    # The reporter's identity: investigators and commanders of the enforcing agencies only.
    "incident.view_reporter": {AgencyKind.POLRI, AgencyKind.BAWASLU, AgencyKind.KEJAKSAAN},
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
