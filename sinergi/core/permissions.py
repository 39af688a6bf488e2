"""The permission matrix: which role may do which action. Scope (which records) is in selectors.

In core (the bottom of the foundation) because every layer asks it, core included; sinergi.accounts.permissions
re-exports it for callers of the old path.

Documented for users in docs/permissions.md; a test checks the two agree.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied

from .roles import AgencyKind, Role

_ALL = frozenset(Role)
_OP, _AN, _CO, _LI, _AD = Role.OPERATOR, Role.ANALYST, Role.COMMANDER, Role.LIAISON, Role.ADMIN

#: action -> roles that may perform it; one row per line of the table in docs/permissions.md
ACTION_ROLES: dict[str, set[str]] = {
    # reference data and maps: every role
    "region.view": set(_ALL),
    "election.view": set(_ALL),
    "tps.view": set(_ALL),
    "unit.view": set(_ALL),
    "map.view": set(_ALL),
    # foundation
    "unit.view_strength": {_LI, _OP, _AN, _CO, _AD},
    "taskrun.view": {_LI, _OP, _AN, _CO, _AD},
    "task.manage": {_AD},
    "tps.import": {_OP, _AN, _AD},
    "audit.view": {_CO, _AD},
    "user.manage": {_AD},
    "unit.manage": {_AD},
    # security deployment plans
    "plan.view": set(_ALL),
    "plan.run": {_OP, _AN, _CO, _AD},
    "plan.approve": {_CO},
    # coordination
    "coordination.write": {_LI, _OP, _AN, _CO, _AD},
    "coordination.marking_change": {_CO, _AD},
    # vulnerability mapping
    "risk.view": set(_ALL),
    "risk.observe": {_OP, _AN, _AD},
    "risk.catalog.edit": {_AN, _AD},
    "risk.model.edit": {_AN, _AD},
    "risk.model.publish": {_AN, _AD},
    "risk.recompute": {_AN, _AD},
    # incidents: report, view, triage, work the assigned incident, close, see the reporter, export, configure
    "incident.report": {_LI, _OP, _AN, _CO, _AD},
    "incident.view": set(_ALL),
    "incident.triage": {_OP, _AN, _CO, _AD},
    "incident.work": {_LI, _OP, _CO, _AD},
    "incident.close": {_AN, _CO, _AD},
    "incident.view_reporter": {_AN, _CO, _AD},
    "incident.export": {_AN, _CO, _AD},
    "incident.configure": {_AD},
    # election-day operations: check-ins, alerts, the command dashboard
    "ops.view": {_LI, _OP, _AN, _CO, _AD},
    "checkin.submit": {_OP, _CO, _AD},
    "ops.alert.ack": {_OP, _CO, _AD},
    "ops.configure": {_AN, _AD},
    # logistics escorts (KPU movements escorted by Polri/TNI) and their chain of custody
    "escort.view": {_LI, _OP, _AN, _CO, _AD},
    "escort.manage": {_OP, _CO, _AD},
    "escort.handover": {_LI, _OP, _CO, _AD},
    # daily situation report
    "sitrep.view": {_LI, _OP, _AN, _CO, _AD},
    "sitrep.generate": {_AN, _CO, _AD},
    "sitrep.subscribe": {_LI, _OP, _AN, _CO, _AD},
    # exercise mode (latihan): start/stop/purge/debrief; take part (enter the running exercise)
    "exercise.manage": {_CO, _AD},
    "exercise.join": {_LI, _OP, _AN, _CO, _AD},
    # personnel roster, assignment of named officers, Surat Perintah, status on the day, dispatch
    "personnel.view": {_OP, _AN, _CO, _AD},
    "personnel.import": {_OP, _AN, _AD},
    "personnel.reveal_phone": {_OP, _CO, _AD},
    "personnel.assign": {_OP, _AN, _CO, _AD},
    "sprin.sign": {_CO},
    "status.report": {_OP, _CO, _AD},
    "dispatch.assign": {_OP, _CO, _AD},
}

#: role -> actions it may perform (derived from ACTION_ROLES)
MATRIX: dict[str, set[str]] = {
    role: {action for action, roles in ACTION_ROLES.items() if role in roles} for role in Role
}

#: actions only some agencies may perform, whatever the role
AGENCY_LIMITS: dict[str, set[str]] = {
    # The polling-station list belongs to KPU; Polri keeps a working copy for planning.
    "tps.import": {AgencyKind.KPU, AgencyKind.POLRI},
    # Security deployment plans are Polri's (TNI serves as BKO under Polri's command).
    "plan.view": {AgencyKind.POLRI},
    "plan.run": {AgencyKind.POLRI},
    "plan.approve": {AgencyKind.POLRI},
    # The public takes part through the public report form only.
    "coordination.write": set(AgencyKind) - {AgencyKind.PUBLIC},
    "coordination.marking_change": set(AgencyKind) - {AgencyKind.PUBLIC},
    # The reporter's identity: investigators and commanders of the enforcing agencies only.
    "incident.view_reporter": {AgencyKind.POLRI, AgencyKind.BAWASLU, AgencyKind.KEJAKSAAN},
    # TPS check-ins come from the officers assigned to the TPS (Polri, TNI under BKO).
    "checkin.submit": {AgencyKind.POLRI, AgencyKind.TNI},
    # KPU owns the logistics movements; Polri plans their escort.
    "escort.manage": {AgencyKind.KPU, AgencyKind.POLRI},
    "escort.handover": {AgencyKind.KPU, AgencyKind.POLRI, AgencyKind.TNI},
    "escort.view": set(AgencyKind) - {AgencyKind.PUBLIC},
    "ops.view": set(AgencyKind) - {AgencyKind.PUBLIC},
    "sitrep.view": set(AgencyKind) - {AgencyKind.PUBLIC},
    "sitrep.subscribe": set(AgencyKind) - {AgencyKind.PUBLIC},
    # Rosters are kept by the agencies whose members stand guard (TNI as BKO, Pemda for Satpol PP/Linmas).
    "personnel.view": {AgencyKind.POLRI, AgencyKind.TNI, AgencyKind.PEMDA},
    "personnel.import": {AgencyKind.POLRI, AgencyKind.TNI, AgencyKind.PEMDA},
    "personnel.reveal_phone": {AgencyKind.POLRI, AgencyKind.TNI, AgencyKind.PEMDA},
    "personnel.assign": {AgencyKind.POLRI},
    "sprin.sign": {AgencyKind.POLRI},
    "status.report": {AgencyKind.POLRI, AgencyKind.TNI},
    "dispatch.assign": {AgencyKind.POLRI},
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


def otp_required_for(user) -> bool:
    """Whether the user's role must pass the second factor (settings.SINERGI_OTP_REQUIRED_ROLES)."""
    roles = settings.SINERGI_OTP_REQUIRED_ROLES
    return bool(user.is_authenticated and (user.role in roles or (user.is_superuser and "admin" in roles)))
