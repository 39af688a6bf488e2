"""Shared by the incident services: timeline rows, live events, notifications, the category suggester."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from sinergi.accounts.models import Unit
from sinergi.core import clock
from sinergi.core.live import group_send
from sinergi.core.services import audit_log
from sinergi.engine.incidents import (
    DedupParams,
    NaiveBayes,
    train,
)
from sinergi.engine.incidents.text import normalize

from .. import defaults
from ..choices import (
    NotificationChannel,
)
from ..models import (
    Category,
    Incident,
    Notification,
    NotificationEndpoint,
    Report,
    TimelineEntry,
)

log = logging.getLogger(__name__)
DEDUP = DedupParams()


# --------------------------------------------------------------------------- helpers

def _actor_repr(actor) -> str:
    return actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else "system"


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _timeline(incident: Incident, kind: str, *, actor=None, note: str = "", data: dict | None = None,
              at: dt.datetime | None = None) -> TimelineEntry:
    user = _user(actor)
    return TimelineEntry.objects.create(incident=incident, at=at or clock.now(), kind=kind, actor=user,
                                        actor_repr=_actor_repr(actor), unit=getattr(user, "unit", None),
                                        note=note[:2000], data=data or {})


def processing_mode() -> str:
    """'inline' (default: each report is processed right after it is stored) or 'deferred' (a worker runs
    `incidents_process`; used for high-rate intake). Setting SINERGI_INCIDENT_PROCESSING or the env var."""
    return settings.SINERGI_INCIDENT_PROCESSING


@lru_cache(maxsize=1)
def classifier() -> NaiveBayes:
    """The category suggester: Naive Bayes on the shipped labelled set plus the taxonomy's keywords."""
    examples = list(defaults.training_examples())
    for c in defaults.taxonomy():
        examples.append((" ".join([c["name"], *c.get("sms", [])]), c["code"]))
    return train(examples)


def sms_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, aliases, name in Category.objects.filter(active=True).values_list("code", "sms_aliases", "name"):
        for a in [*aliases, name, code.replace("_", " ")]:
            out.setdefault(normalize(a), code)
    return out


# --------------------------------------------------------------------------- record-level checks (workflow, deadlines)

def _lock(incident: Incident) -> Incident:
    return (Incident.objects.select_for_update(of=("self",)).select_related("category", "assigned_unit")
            .get(pk=incident.pk))


# Record-level checks for people (actor None is the system: escalation, defaults, imports). Every caller — the
# page, the API, commands — gets them here, so a page cannot skip what the API checks.

def _person(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _in_assigned_unit(actor, inc: Incident) -> bool:
    return bool(inc.assigned_unit_id and actor.unit_id and inc.assigned_unit.is_within(actor.unit))


def _require_visible(actor, inc: Incident) -> None:
    from ..selectors import incident_list

    if not incident_list(user=actor).filter(pk=inc.pk).exists():
        raise PermissionDenied("incident not in scope")


def _require_triage(actor, *incidents: Incident) -> None:
    """Category, severity, merge, split, share and deadline extension: triage staff who can read the incident."""
    from ..permissions import can

    if not _person(actor):
        return
    if not can(actor, "incident.triage"):
        raise PermissionDenied("not allowed: incident.triage")
    for inc in incidents:
        _require_visible(actor, inc)


# --------------------------------------------------------------------------- reporter identity, notifications

def report_reporter_reveal(*, actor, report: Report) -> dict:
    """The reporter's identity, for roles that need it; every view is audited."""
    from ..permissions import require

    require(actor, "incident.view_reporter")
    audit_log(actor=actor, action="incident.reporter_viewed", obj=report,
              data={"incident": report.incident_id})
    user = report.reporter_user
    return {"name": report.reporter_name or (user.get_full_name() or user.username if user else ""),
            "contact": report.reporter_contact, "anonymous": report.anonymous,
            "user": user.username if user else None}


def notify(*, incident: Incident, units: list[Unit], message: str) -> list[Notification]:
    """In-app notice for each unit, plus e-mail and signed webhook where the unit has set them up."""
    out = []
    endpoints = {e.unit_id: e for e in NotificationEndpoint.objects.filter(unit__in=units, active=True)}
    for unit in {u.pk: u for u in units}.values():
        out.append(Notification.objects.create(unit=unit, incident=incident, channel=NotificationChannel.IN_APP,
                                               message=message[:300]))
        ep = endpoints.get(unit.pk)
        if ep is None:
            continue
        for channel, on in ((NotificationChannel.EMAIL, ep.email), (NotificationChannel.WEBHOOK, ep.webhook_url)):
            if on:
                n = Notification.objects.create(unit=unit, incident=incident, channel=channel, message=message[:300])
                out.append(n)
                from sinergi.core.background import task_at

                deliver_notification = task_at("sinergi.incidents.tasks.deliver_notification")  # not imported: tasks call services

                transaction.on_commit(lambda pk=n.pk, t=deliver_notification: t.enqueue(pk))
    return out


def notification_mark_read(*, actor, notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=clock.now())


# --------------------------------------------------------------------------- live updates

def _broadcast(message: dict) -> None:
    group_send("incidents", "incident.event", **message)


def _units_of(incident_id: int | None) -> list[int]:
    """The units an incident is assigned or shared to: the scope fields of its live event (consumers.decide)."""
    if incident_id is None:
        return []
    assigned = Incident.objects.filter(pk=incident_id).values_list("assigned_unit_id", flat=True).first()
    shared = Incident.shared_units.through.objects.filter(incident_id=incident_id).values_list("unit_id", flat=True)
    return sorted({u for u in [assigned, *shared] if u})


def _broadcast_many(messages: list[dict]) -> None:
    """The live events of a processing batch, sent in one go (best-effort, like group_send)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from sinergi.core.clock import current_exercise
    from sinergi.core.live import exercise_group

    layer = get_channel_layer()
    if layer is None:
        return
    exercise = current_exercise()
    group = exercise_group("incidents", exercise.exercise_id if exercise else None)

    async def send_all():
        for m in messages:
            await layer.group_send(group, {"type": "incident.event", **m})

    try:
        async_to_sync(send_all)()
    except Exception:  # live updates are best-effort
        log.warning("live update to %s failed", group, exc_info=True)


def _broadcast_incident(pk: int) -> None:
    _broadcast({"incident": pk, "units": _units_of(pk)})


def _broadcast_report(pk: int) -> None:
    incident_id = Report.objects.filter(pk=pk).values_list("incident_id", flat=True).first()
    _broadcast({"report": pk, "units": _units_of(incident_id)})
