"""Deadlines: start, extend, override, escalate."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sinergi.core import clock
from sinergi.core.services import audit_log
from sinergi.engine.incidents import (
    DeadlineSpec,
    due_at,
)

from ..choices import (
    TimelineKind,
)
from ..models import (
    Deadline,
    DeadlineRule,
    Holiday,
    Incident,
)
from ._common import _lock, _person, _require_triage, _timeline, notify


def _holidays() -> set[dt.date]:
    return set(Holiday.objects.values_list("date", flat=True))


def _spec(rule: DeadlineRule) -> DeadlineSpec:
    return DeadlineSpec(code=rule.code, amount=rule.amount, unit=rule.unit, extension=rule.extension)


def _local(ts: dt.datetime) -> dt.datetime:
    return timezone.localtime(ts)


def deadlines_start(incident: Incident, moment: str, at: dt.datetime) -> list[Deadline]:
    """Start the incident's deadlines that count from `moment` (occurred/reported/verified/assigned)."""
    rules = DeadlineRule.objects.filter(code__in=incident.category.deadline_codes, start=moment)
    holidays = _holidays() if any(r.unit == DeadlineRule.Unit.WORKING_DAYS for r in rules) else set()
    out = []
    for rule in rules:
        due = due_at(_spec(rule), _local(at), holidays=holidays)
        obj, created = Deadline.objects.get_or_create(incident=incident, rule=rule,
                                                      defaults={"starts_at": at, "due_at": due})
        if created:
            out.append(obj)
    return out


@transaction.atomic
def deadline_extend(*, actor, deadline: Deadline) -> Deadline:
    """Use a rule's extension (e.g. Bawaslu's +2 days when it asks for more information)."""
    if deadline.extended or not deadline.rule.extension:
        raise ValidationError({"deadline": "tenggat ini tidak bisa diperpanjang"})
    _require_triage(actor, deadline.incident)
    deadline.due_at = due_at(_spec(deadline.rule), _local(deadline.starts_at), extended=True, holidays=_holidays())
    deadline.extended = True
    deadline.save(update_fields=["due_at", "extended"])
    _timeline(deadline.incident, TimelineKind.DEADLINE, actor=actor,
              data={"rule": deadline.rule.code, "extended_to": deadline.due_at.isoformat()})
    audit_log(actor=actor, action="incident.deadline_extended", obj=deadline.incident,
              data={"rule": deadline.rule.code})
    return deadline


@transaction.atomic
def deadline_override(*, actor, deadline: Deadline, reason: str) -> Deadline:
    """Declare a deadline met although the responsible body has not acted (e.g. it acted outside Sinergi): triage
    staff only, with a written reason, on the incident's timeline and in the audit chain."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "alasan wajib diisi"})
    if len(reason) > 300:
        raise ValidationError({"reason": "alasan paling banyak 300 karakter"})
    _require_triage(actor, deadline.incident)
    if deadline.met_at is not None or deadline.ended_at is not None:
        raise ValidationError({"deadline": "tenggat ini sudah tidak berjalan"})
    deadline.met_at = clock.now()
    deadline.met_agency = actor.unit.agency.code if _person(actor) and actor.unit_id else ""
    deadline.override_reason = reason
    deadline.save(update_fields=["met_at", "met_agency", "override_reason"])
    _timeline(deadline.incident, TimelineKind.DEADLINE, actor=actor, note=reason,
              data={"rule": deadline.rule.code, "override": True})
    audit_log(actor=actor, action="incident.deadline_override", obj=deadline.incident,
              data={"rule": deadline.rule.code, "reason": reason})
    return deadline


def deadlines_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every overdue, unmet deadline once: the incident is shared with the next level up."""
    now = now or clock.now()
    count = 0
    for d in Deadline.objects.filter(due_at__lt=now, met_at__isnull=True, ended_at__isnull=True, escalated_at__isnull=True
                                     ).select_related("incident", "rule", "incident__assigned_unit"):
        with transaction.atomic():
            inc = _lock(d.incident)
            parent = inc.assigned_unit.parent if inc.assigned_unit_id else None
            Deadline.objects.filter(pk=d.pk).update(escalated_at=now)
            inc.escalation_level += 1
            inc.save(update_fields=["escalation_level", "updated_at"])
            if parent is not None:
                inc.shared_units.add(parent)
            _timeline(inc, TimelineKind.ESCALATED, note=f"Lewat tenggat: {d.rule.name}",
                      data={"rule": d.rule.code, "due_at": d.due_at.isoformat(),
                            "to_unit": parent.code if parent else None})
            audit_log(actor=None, action="incident.escalated", obj=inc,
                      data={"rule": d.rule.code, "to_unit": parent.code if parent else None})
            targets = [u for u in (parent, inc.assigned_unit) if u is not None]
            if targets:
                notify(incident=inc, units=targets, message=f"Lewat tenggat ({d.rule.name}): {inc.title[:150]}")
            count += 1
    return count
