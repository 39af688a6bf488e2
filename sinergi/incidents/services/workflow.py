"""Workflow: transitions, acknowledgement, triage corrections, notes, merge, split, sharing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sinergi.accounts.models import Unit
from sinergi.core import clock
from sinergi.core.services import audit_log
from sinergi.regions.models import Region

from .. import location
from ..choices import (
    TRANSITIONS,
    IncidentStatus,
    LocationStatus,
    TimelineKind,
)
from ..models import (
    Category,
    Deadline,
    DeadlineRule,
    Incident,
    Report,
    TimelineEntry,
)
from ._common import (
    _broadcast_incident,
    _in_assigned_unit,
    _lock,
    _person,
    _require_triage,
    _require_visible,
    _timeline,
    _user,
    notify,
)
from .deadlines import deadlines_start
from .processing import _incident_from_report


def _meets(rule: DeadlineRule, actor, incident: Incident) -> bool:
    """Whether `actor`'s action meets a deadline of `rule`: only the responsible body's own action does (the
    rule's `met_by` agencies, or "assigned" = the assigned unit); the system and other agencies do not."""
    who = rule.met_by or []
    if not who:
        return True
    if not _person(actor):
        return False
    if "assigned" in who and _in_assigned_unit(actor, incident):
        return True
    return bool(actor.unit_id) and actor.unit.agency.code in who


def _deadline_met(incident: Incident, codes: list[str], at: dt.datetime, actor=None) -> None:
    """Mark the open deadlines of `codes` met when the actor's body is the responsible one; otherwise they keep
    running (a triage user can still declare one met with a written reason: deadline_override)."""
    for d in Deadline.objects.filter(incident=incident, rule__code__in=codes, met_at__isnull=True,
                                     ended_at__isnull=True).select_related("rule"):
        if _meets(d.rule, actor, incident):
            d.met_at = at
            d.met_agency = actor.unit.agency.code if _person(actor) and actor.unit_id else ""
            d.save(update_fields=["met_at", "met_agency"])


def _require_transition(actor, inc: Incident, to: str) -> None:
    from ..permissions import can
    from ..selectors import sees_all

    if not _person(actor):
        return
    _require_visible(actor, inc)
    if to == IncidentStatus.CLOSED:
        ok = can(actor, "incident.close")
    elif to in (IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED):
        # Working the incident is for the assigned (responsible) unit; the province situation room may too.
        ok = (can(actor, "incident.work") or can(actor, "incident.triage")) and (
            _in_assigned_unit(actor, inc) or (sees_all(actor) and can(actor, "incident.triage")))
    else:
        ok = can(actor, "incident.triage")
    if not ok:
        raise PermissionDenied(f"not allowed: incident.{to}")


@transaction.atomic
def incident_transition(*, actor, incident: Incident, to: str, note: str = "", unit: Unit | None = None
                        ) -> Incident:
    """Move an incident along the workflow; every step goes on the timeline with who and when."""
    inc = _lock(incident)
    _require_transition(actor, inc, to)
    if to not in TRANSITIONS.get(inc.status, set()):
        raise ValidationError({"status": f"tidak bisa dari {inc.get_status_display()} ke {IncidentStatus(to).label}"})
    now = clock.now()
    before = inc.status
    inc.status = to
    fields = ["status", "updated_at"]
    if to == IncidentStatus.ASSIGNED:
        target = unit or inc.assigned_unit
        if target is None:
            raise ValidationError({"unit": "satuan tujuan wajib"})
        inc.assigned_unit, inc.agency_code = target, target.agency.code
        inc.acknowledged_at, inc.acknowledged_by = None, None
        fields += ["assigned_unit", "agency_code", "acknowledged_at", "acknowledged_by"]
    inc.save(update_fields=fields)
    _timeline(inc, TimelineKind.ASSIGNED if to == IncidentStatus.ASSIGNED else TimelineKind.STATUS, actor=actor,
              note=note, data={"from": before, "to": to, "unit": inc.assigned_unit.code if inc.assigned_unit else None})
    if to in (IncidentStatus.VERIFIED, IncidentStatus.REJECTED):
        _deadline_met(inc, ["bawaslu_decision"], now, actor)
    if to == IncidentStatus.VERIFIED:
        deadlines_start(inc, DeadlineRule.Start.VERIFIED, now)
    if to == IncidentStatus.ASSIGNED:
        _deadline_met(inc, ["crime_forward"], now, actor)
        Deadline.objects.filter(incident=inc, rule__code="ack").delete()  # a new assignment restarts the countdown
        deadlines_start(inc, DeadlineRule.Start.ASSIGNED, now)
        notify(incident=inc, units=[inc.assigned_unit], message=f"Insiden ditugaskan: {inc.title[:200]}")
    if to == IncidentStatus.RESOLVED:
        _deadline_met(inc, ["investigation"], now, actor)
    if to in (IncidentStatus.REJECTED, IncidentStatus.CLOSED):
        # The incident is over: open deadlines stop running, but they are not "met" by that.
        Deadline.objects.filter(incident=inc, met_at__isnull=True, ended_at__isnull=True).update(ended_at=now)
    audit_log(actor=actor, action=f"incident.{to}", obj=inc, data={"from": before, "note": note[:500]})
    transaction.on_commit(lambda: _broadcast_incident(inc.pk))
    if to in (IncidentStatus.VERIFIED, IncidentStatus.REJECTED) or before == IncidentStatus.REJECTED:
        # Verified incidents raise nearby TPS scores: ask for a (debounced) vulnerability recompute.
        transaction.on_commit(lambda: _risk_recompute(actor, f"insiden #{inc.pk} {to}"))
    return inc


def _risk_recompute(actor, reason: str) -> None:
    from sinergi.risk.services import risk_recompute_request

    risk_recompute_request(election=None, actor=actor, reason=reason)


@transaction.atomic
def incident_acknowledge(*, actor, incident: Incident) -> Incident:
    """The assigned unit confirms it has the incident (admins may too)."""
    from sinergi.accounts.selectors import is_global

    from ..permissions import can

    inc = _lock(incident)
    if _person(actor):
        _require_visible(actor, inc)
        if not (can(actor, "incident.work") and (is_global(actor) or _in_assigned_unit(actor, inc))):
            raise PermissionDenied("only the assigned unit acknowledges")
    if inc.acknowledged_at is None:
        inc.acknowledged_at, inc.acknowledged_by = clock.now(), _user(actor)
        inc.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        _deadline_met(inc, ["ack"], inc.acknowledged_at, actor)
        _timeline(inc, TimelineKind.ACKNOWLEDGED, actor=actor)
        audit_log(actor=actor, action="incident.acknowledged", obj=inc)
    return inc


@transaction.atomic
def incident_update(*, actor, incident: Incident, category: Category | None = None, severity: int | None = None,
                    note: str = "") -> Incident:
    """Staff confirm or change the category and severity."""
    inc = _lock(incident)
    _require_triage(actor, inc)
    changes = {}
    if category is not None and category.pk != inc.category_id:
        changes["category"] = [inc.category.code, category.code]
        inc.category = category
        _timeline(inc, TimelineKind.CATEGORY, actor=actor, note=note, data={"from": changes["category"][0],
                                                                           "to": category.code})
    if severity is not None and severity != inc.severity:
        if not 1 <= severity <= 4:
            raise ValidationError({"severity": "keparahan 1-4"})
        changes["severity"] = [inc.severity, severity]
        inc.severity = severity
        _timeline(inc, TimelineKind.SEVERITY, actor=actor, note=note, data={"from": changes["severity"][0],
                                                                           "to": severity})
    if changes:
        inc.save()
        audit_log(actor=actor, action="incident.updated", obj=inc, data=changes)
        transaction.on_commit(lambda: _broadcast_incident(inc.pk))
    return inc


@transaction.atomic
def incident_triage_correct(*, actor, incident: Incident, category: Category | None = None,
                            severity: int | None = None, region_code: str | None = None,
                            out_of_area: bool | None = None, fatalities: int | None = None,
                            note: str = "") -> Incident:
    """Staff confirm or correct the triage suggestions. Each decision is stored as a TriageCorrection (what was
    suggested, what staff set; the retraining reads them) and audited; the incident takes the staff's values."""
    from ..models import TriageCorrection

    inc = _lock(incident)
    tri = inc.triage or {}
    report = inc.reports.order_by("received_at").first()
    rows: list[tuple[str, str, str]] = []
    if category is not None:
        rows.append(("category", str(tri.get("category", "")), category.code))
    if severity is not None:
        if not 1 <= severity <= 4:
            raise ValidationError({"severity": "keparahan 1-4"})
        rows.append(("severity", str(tri.get("severity", "")), str(severity)))
    fields = []
    if region_code is not None:
        region = Region.objects.filter(code=region_code).first() if region_code else None
        if region_code and region is None:
            raise ValidationError({"region": "kode wilayah tidak dikenal"})
        rows.append(("place", str((tri.get("place") or {}).get("code") or ""), region_code))
        inc.region = region
        inc.regency_code = region.code[:5] if region is not None and len(region.code) >= 5 else ""
        if region is not None:
            inc.lat, inc.lng, inc.location_status = region.lat, region.lng, LocationStatus.APPROXIMATE
            inc.out_of_area = False
        fields += ["region", "regency_code", "lat", "lng", "location_status", "out_of_area"]
    if out_of_area is not None:
        rows.append(("out_of_area", str(bool((tri.get("place") or {}).get("out_of_area"))), str(out_of_area)))
        inc.out_of_area = out_of_area
        if out_of_area:  # never placed inside the province
            inc.region, inc.regency_code, inc.lat, inc.lng = None, "", None, None
            inc.location_status = LocationStatus.UNRESOLVED
        fields += ["out_of_area", "region", "regency_code", "lat", "lng", "location_status"]
    if fatalities is not None:
        if fatalities < 0 or fatalities > 100000:
            raise ValidationError({"fatalities": "jumlah korban jiwa tidak sah"})
        rows.append(("fatalities", str(tri.get("fatalities", "")), str(fatalities)))
        inc.fatalities = fatalities
        fields.append("fatalities")
    if not rows:
        raise ValidationError({"triage": "tidak ada yang dikonfirmasi atau dikoreksi"})
    TriageCorrection.objects.bulk_create([
        TriageCorrection(incident=inc, report=report, field=f, suggested=sug[:40], corrected=cor[:40],
                         actor=_user(actor)) for f, sug, cor in rows])
    if fields:
        inc.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    _timeline(inc, TimelineKind.NOTE, actor=actor, note=note or "Triase dikonfirmasi/dikoreksi",
              data={"triage": [{"field": f, "suggested": s, "corrected": c} for f, s, c in rows]})
    audit_log(actor=actor, action="incident.triage_corrected", obj=inc,
              data={"fields": [{"field": f, "suggested": s, "corrected": c} for f, s, c in rows]})
    if category is not None or severity is not None:
        incident_update(actor=actor, incident=inc, category=category, severity=severity, note=note)
    transaction.on_commit(lambda: _broadcast_incident(inc.pk))
    return inc


@transaction.atomic
def incident_note(*, actor, incident: Incident, note: str) -> TimelineEntry:
    """A note on the timeline: by staff who report, work or triage incidents (never observers)."""
    from ..permissions import can

    if _person(actor):
        _require_visible(actor, incident)
        if not any(can(actor, a) for a in ("incident.report", "incident.work", "incident.triage")):
            raise PermissionDenied("not allowed: incident.note")
    if not note.strip():
        raise ValidationError({"note": "catatan kosong"})
    entry = _timeline(incident, TimelineKind.NOTE, actor=actor, note=note)
    audit_log(actor=actor, action="incident.noted", obj=incident)
    return entry


@transaction.atomic
def incident_merge(*, actor, source: Incident, target: Incident) -> Incident:
    """Fold `source` into `target`: its reports move, it stays as a 'merged' record pointing to the target."""
    if source.pk == target.pk:
        raise ValidationError({"target": "tidak bisa menggabung ke dirinya sendiri"})
    src, tgt = _lock(source), _lock(target)
    _require_triage(actor, src, tgt)
    if src.status == IncidentStatus.MERGED or tgt.status == IncidentStatus.MERGED:
        raise ValidationError({"target": "insiden sudah digabung"})
    moved = list(Report.objects.filter(incident=src).values_list("id", flat=True))
    Report.objects.filter(incident=src).update(incident=tgt)
    tgt.report_count = Report.objects.filter(incident=tgt).count()
    tgt.last_reported_at = max(tgt.last_reported_at, src.last_reported_at)
    tgt.first_reported_at = min(tgt.first_reported_at, src.first_reported_at)
    tgt.save()
    src.status, src.merged_into, src.report_count = IncidentStatus.MERGED, tgt, 0
    src.save()
    _timeline(tgt, TimelineKind.MERGED, actor=actor, data={"from_incident": src.pk, "reports": moved})
    _timeline(src, TimelineKind.MERGED, actor=actor, data={"into_incident": tgt.pk, "reports": moved})
    audit_log(actor=actor, action="incident.merged", obj=tgt, data={"source": src.pk, "reports": moved})
    transaction.on_commit(lambda: (_broadcast_incident(src.pk), _broadcast_incident(tgt.pk)))
    return tgt


@transaction.atomic
def incident_split(*, actor, incident: Incident, report_ids: list[int]) -> Incident:
    """Move some reports of an incident into a new incident (same category, routed again)."""
    src = _lock(incident)
    _require_triage(actor, src)
    reports = list(Report.objects.filter(incident=src, pk__in=report_ids).order_by("received_at"))
    if not reports or len(reports) >= src.reports.count():
        raise ValidationError({"reports": "pilih sebagian laporan (bukan semua) dari insiden ini"})
    first = reports[0]
    res = location.Resolved(status=first.location_status, method=first.location_method, region=first.region,
                            tps=first.tps, lat=first.lat, lng=first.lng)
    new = _incident_from_report(first, src.category, res, first.text)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(incident=new)
    new.report_count = len(reports)
    new.last_reported_at = reports[-1].received_at
    new.save(update_fields=["report_count", "last_reported_at"])
    src.report_count = Report.objects.filter(incident=src).count()
    src.save(update_fields=["report_count", "updated_at"])
    ids = [r.pk for r in reports]
    _timeline(src, TimelineKind.SPLIT, actor=actor, data={"to_incident": new.pk, "reports": ids})
    _timeline(new, TimelineKind.SPLIT, actor=actor, data={"from_incident": src.pk, "reports": ids})
    audit_log(actor=actor, action="incident.split", obj=src, data={"new": new.pk, "reports": ids})
    return new


@transaction.atomic
def incident_share(*, actor, incident: Incident, units: list[Unit]) -> Incident:
    _require_triage(actor, incident)
    incident.shared_units.add(*units)
    codes = [u.code for u in units]
    _timeline(incident, TimelineKind.SHARED, actor=actor, data={"units": codes})
    audit_log(actor=actor, action="incident.shared", obj=incident, data={"units": codes})
    notify(incident=incident, units=units, message=f"Insiden dibagikan: {incident.title[:200]}")
    return incident
