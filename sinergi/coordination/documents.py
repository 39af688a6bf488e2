"""Documents made from coordination records: iCalendar invitations and feeds (RFC 5545) and PDFs.

Everything here receives records already restricted by selectors; summary-only records are rendered with
their summary fields only.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from sinergi.core import clock
from sinergi.incidents.selectors import incident_list
from sinergi.risk.selectors import assessment_list

from .choices import MeetingStatus

PRODID = "-//Sinergi//Koordinasi Pilkada//ID"
UID_DOMAIN = "sinergi.local"


def _calendar(method: str | None = None, name: str = "") -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def meeting_event(meeting, *, full: bool = True, base_url: str = "") -> Event:
    """One VEVENT: stable UID, SEQUENCE raised on every change, STATUS:CANCELLED when cancelled."""
    tz = timezone.get_default_timezone()  # WITA (Asia/Makassar)
    event = Event()
    event.add("uid", f"{meeting.uid}@{UID_DOMAIN}")
    event.add("dtstamp", meeting.updated_at or timezone.now())
    event.add("dtstart", timezone.localtime(meeting.starts_at, tz))
    event.add("dtend", timezone.localtime(meeting.ends_at, tz))
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    event.add("summary", f"[TLP:{meeting.marking if full else meeting.summary_marking}] {meeting.title}")
    event.add("class", "PUBLIC" if meeting.marking == "CLEAR" and full else "CONFIDENTIAL")
    if full:
        if meeting.place:
            event.add("location", meeting.place)
        if meeting.online_url:
            event.add("url", meeting.online_url)
        lines = [_("Satuan penyelenggara: %(unit)s") % {"unit": meeting.unit.name}]
        agenda = getattr(meeting, "agenda_for_ics", None)
        if agenda:
            lines.append(_("Agenda:"))
            lines += [f"{i}. {a.title}" for i, a in enumerate(agenda, 1)]
        if base_url:
            lines.append(f"{base_url}")
        event.add("description", "\n".join(lines))
        organizer = vCalAddress(f"mailto:noreply@{UID_DOMAIN}")
        organizer.params["cn"] = vText(meeting.unit.name)
        event.add("organizer", organizer)
    else:
        event.add("description", meeting.summary)
    return event


def meeting_invitation(meeting, *, full: bool = True, base_url: str = "") -> bytes:
    """An iTIP message: REQUEST for a scheduled/updated meeting, CANCEL for a cancelled one."""
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    cal = _calendar(method)
    cal.add_component(meeting_event(meeting, full=full, base_url=base_url))
    cal.add_missing_timezones()
    return cal.to_ical()


def meetings_feed(meetings, *, name: str) -> bytes:
    """A subscribable feed (no METHOD): every visible meeting, cancelled ones kept with STATUS:CANCELLED."""
    cal = _calendar(name=name)
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, full=getattr(meeting, "full_access", True)))
    cal.add_missing_timezones()
    return cal.to_ical()


# --- summaries from other apps (only when there are data) ---------------------------------------

def _count_by(qs, field_names: tuple[str, ...]) -> dict | None:
    fields = {f.name for f in qs.model._meta.get_fields()}
    field = next((f for f in field_names if f in fields), None)
    total = qs.count()
    if not total:
        return None
    rows = list(qs.order_by().values_list(field).annotate(n=Count("pk")).order_by(field)) if field else []
    return {"total": total, "field": field, "rows": [(str(k), n) for k, n in rows]}


def risk_summary(user) -> dict | None:
    """Tier counts of the published model's current assessments, as the reader may see them (aggregates only)."""
    return _count_by(assessment_list(user=user), ("tier",))


def incident_summary(user) -> dict | None:
    """Counts of the incidents the reader may see, by status (aggregates only)."""
    return _count_by(incident_list(user=user), ("status", "severity", "category"))


# --- PDFs ---------------------------------------------------------------------------------------------------

def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # imported lazily: loading pango costs ~0.5 s

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def feed_window():
    """Feeds list meetings from 90 days ago onwards."""
    return clock.now() - timedelta(days=90)
