"""The only writers of coordination records. Every function checks permission and writes an audit event."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sinergi.accounts.models import User
from sinergi.core import clock
from sinergi.core.services import audit_log

from . import permissions, selectors
from .choices import (
    AUDITED_READ_MARKINGS,
    OPEN_STATUSES,
    ActionStatus,
    AgendaKind,
    Marking,
    MeetingStatus,
    NotificationKind,
    ReminderKind,
    marking_rank,
)
from .models import (
    ActionItem,
    ActionReminder,
    ActionUpdate,
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    MeetingAttachment,
    Notification,
    SharedNote,
)

#: short names used in audit actions ("<model>.<verb>")
MODEL_KEYS = {Meeting: "meeting", ActionItem: "action_item", SharedNote: "note"}
DEFAULT_MEETING_HOURS = 2
REMINDER_DAYS_BEFORE = 3


def model_key(obj) -> str:
    return MODEL_KEYS[type(obj)]


# --- markings ---------------------------------------------------------------------------------------------

def _check_marking(*, marking: str, summary_marking: str, summary: str, share_units=(), share_agencies=(),
                   share_users=()) -> None:
    if marking not in Marking.values:
        raise ValidationError({"marking": _("Penandaan tidak dikenal.")})
    if summary_marking:
        if summary_marking not in Marking.values:
            raise ValidationError({"summary_marking": _("Penandaan ringkasan tidak dikenal.")})
        if marking_rank(summary_marking) >= marking_rank(marking):
            raise ValidationError({"summary_marking": _("Ringkasan harus ditandai lebih longgar dari catatannya.")})
        if not summary.strip():
            raise ValidationError({"summary": _("Isi ringkasan tersamar yang boleh dibagikan lebih luas.")})
    if marking == Marking.RED and not share_users:
        raise ValidationError({"share_users": _("TLP:RED hanya untuk penerima perorangan: sebutkan penerimanya.")})


def _set_shares(obj, *, share_units=(), share_agencies=(), share_users=()) -> None:
    obj.share_units.set(share_units)
    obj.share_agencies.set(share_agencies)
    obj.share_users.set(share_users)


def _content(obj, **fields) -> dict:
    """Free text for an audit event: kept for TLP:CLEAR/GREEN records only. The audit log is read more widely
    than a restricted record, so AMBER and RED titles, texts, names and reasons stay in the record itself
    (the audit API also redacts them when reading older events: sinergi/core/audit_scope.py)."""
    return fields if obj.marking in (Marking.CLEAR, Marking.GREEN) else {}


def _marking_data(obj) -> dict:
    return {
        "marking": obj.marking, "summary_marking": obj.summary_marking,
        "share_units": sorted(obj.share_units.values_list("pk", flat=True)),
        "share_agencies": sorted(obj.share_agencies.values_list("code", flat=True)),
        "share_users": sorted(obj.share_users.values_list("pk", flat=True)),
    }


@transaction.atomic
def marking_change(*, actor, obj, marking: str, reason: str, summary_marking: str | None = None,
                   summary: str | None = None, share_units=None, share_agencies=None, share_users=None):
    """Change a record's marking (and optionally summary and share lists); a reason is required and audited."""
    permissions.require(permissions.can_change_marking(actor, obj), "marking.change")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Alasan perubahan penandaan wajib diisi.")})
    before = _marking_data(obj)
    new_summary_marking = obj.summary_marking if summary_marking is None else summary_marking
    new_summary = obj.summary if summary is None else summary
    units = list(obj.share_units.all()) if share_units is None else list(share_units)
    agencies = list(obj.share_agencies.all()) if share_agencies is None else list(share_agencies)
    users = list(obj.share_users.all()) if share_users is None else list(share_users)
    _check_marking(marking=marking, summary_marking=new_summary_marking, summary=new_summary,
                   share_units=units, share_agencies=agencies, share_users=users)
    if isinstance(obj, ActionItem):
        _check_action_marking(marking=marking, unit=obj.unit, owner_unit=obj.owner_unit,
                              supporting_units=list(obj.supporting_units.all()))
        units = list({u.pk: u for u in [*units, obj.owner_unit, *obj.supporting_units.all()]}.values())
    obj.marking, obj.summary_marking, obj.summary = marking, new_summary_marking, new_summary
    obj.save(update_fields=["marking", "summary_marking", "summary", "updated_at"])
    _set_shares(obj, share_units=units, share_agencies=agencies, share_users=users)
    audit_log(actor=actor, action=f"{model_key(obj)}.marking_change", obj=obj,
              data={"from": before, "to": _marking_data(obj), "reason": reason.strip()})
    return obj


def record_read(*, actor, obj, via: str = "") -> bool:
    """Audit a detail read of an AMBER, AMBER+STRICT or RED record (the marking the reader actually saw);
    `via` names the channel when it is not the page or API (e.g. "ics" for a calendar invitation)."""
    full = getattr(obj, "full_access", True)
    seen = obj.marking if full else obj.summary_marking
    if seen not in AUDITED_READ_MARKINGS:
        return False
    data = {"marking": seen, "summary_only": not full}
    if via:
        data["via"] = via
    audit_log(actor=actor, action=f"{model_key(obj)}.read", obj=obj, data=data)
    return True


def meetings_feed_read(*, actor, meetings) -> int:
    """Audit one calendar-feed fetch that carried AMBER/AMBER+STRICT/RED meetings (one event listing them)."""
    seen = [m for m in meetings
            if (m.marking if getattr(m, "full_access", True) else m.summary_marking) in AUDITED_READ_MARKINGS]
    if seen:
        audit_log(actor=actor, action="meeting.feed_read", object_type="coordination.meeting",
                  data={"meetings": [m.pk for m in seen], "via": "ics_feed"})
    return len(seen)


# --- notifications ---------------------------------------------------------------------------------------

def notify(*, users, kind: str, obj, url: str = "", now: datetime | None = None, title: str = "") -> int:
    """Notify each user who may read `obj`; users who may read only its summary get the summary's wording."""
    now = now or clock.now()
    model = type(obj)
    users = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    if not users:
        return 0
    created = 0
    for user in users:
        row = selectors.restrict(model.objects.filter(pk=obj.pk), user).values_list("full_access", flat=True).first()
        if row is None:
            continue  # the marking forbids it: no notification, not even the title
        label = str(NotificationKind(kind).label)
        text = title or (obj.title if row else f"{obj.title} — {obj.summary}"[:290])
        Notification.objects.create(user=user, kind=kind, title=f"{label}: {text}"[:300], url=url,
                                    object_type=model_key(obj), object_id=str(obj.pk), created_at=now)
        created += 1
    return created


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.user_id != actor.pk:
        permissions.require(False, "notification.read")
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def _unit_users(units) -> list[User]:
    return list(User.objects.filter(unit__in=list(units), is_active=True).select_related("unit", "unit__agency"))


def _invitees(meeting: Meeting) -> list[User]:
    return _unit_users(meeting.share_units.all()) + list(meeting.share_users.all())


# --- meetings ---------------------------------------------------------------------------------------------

@transaction.atomic
def meeting_create(*, actor, title: str, starts_at: datetime, ends_at: datetime | None = None, place: str = "",
                   online_url: str = "", unit=None, marking: str = Marking.AMBER, summary: str = "",
                   summary_marking: str = "", share_units=(), share_agencies=(), share_users=(), series: str = "",
                   previous: Meeting | None = None, agenda: list[str] | tuple = (), carry_over: bool = True,
                   now: datetime | None = None) -> Meeting:
    """Convene a meeting. Invitees are the share lists. Open items of the previous meeting are carried over."""
    permissions.require(permissions.can_write(actor), "meeting.create")
    unit = unit or actor.unit
    if not actor.is_superuser and not actor.unit.path.startswith(unit.path) and not unit.path.startswith(
            actor.unit.path):
        raise ValidationError({"unit": _("Satuan penyelenggara harus satuan Anda, induknya, atau bawahannya.")})
    if not title.strip():
        raise ValidationError({"title": _("Judul wajib diisi.")})
    if not place.strip() and not online_url.strip():
        raise ValidationError({"place": _("Isi tempat rapat atau tautan daring.")})
    ends_at = ends_at or starts_at + timedelta(hours=DEFAULT_MEETING_HOURS)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("Waktu selesai harus setelah waktu mulai.")})
    _check_marking(marking=marking, summary_marking=summary_marking, summary=summary, share_units=share_units,
                   share_agencies=share_agencies, share_users=share_users)
    if previous is None and carry_over:
        previous = selectors.previous_meeting_for(unit=unit, series=series, before=starts_at)
    meeting = Meeting.objects.create(
        title=title.strip(), starts_at=starts_at, ends_at=ends_at, place=place.strip(), online_url=online_url,
        unit=unit, author=actor, marking=marking, summary=summary, summary_marking=summary_marking,
        series=series.strip(), previous=previous,
    )
    _set_shares(meeting, share_units=share_units, share_agencies=share_agencies, share_users=share_users)
    audit_log(actor=actor, action="meeting.create", obj=meeting,
              data={**_content(meeting, title=meeting.title), "starts_at": starts_at, "unit": unit.pk, "previous": getattr(
                  previous, "pk", None), **_marking_data(meeting)})
    for text in agenda:
        if text.strip():
            agenda_item_add(actor=actor, meeting=meeting, title=text.strip())
    if previous is not None and carry_over:
        meeting_carry_over(actor=actor, meeting=meeting, previous=previous)
    notify(users=_invitees(meeting), kind=NotificationKind.MEETING_INVITE, obj=meeting,
           url=reverse("coordination:meeting_detail", args=[meeting.pk]), now=now)
    return meeting


@transaction.atomic
def meeting_carry_over(*, actor, meeting: Meeting, previous: Meeting) -> list[AgendaItem]:
    """Put every still-open action item of `previous` (raised there or carried there) onto `meeting`'s agenda.

    The agenda line names the item only when the item is not more restricted than the meeting; otherwise
    it shows a neutral placeholder, so meeting readers learn nothing the item's marking withholds.
    """
    items = list(selectors.open_action_items_of_meeting(previous).order_by("due_date", "id"))
    already = set(meeting.agenda_items.filter(action_item__isnull=False).values_list("action_item_id", flat=True))
    start = (meeting.agenda_items.aggregate(m=Max("order"))["m"] or 0) + 1
    created = []
    for i, item in enumerate([it for it in items if it.pk not in already]):
        if marking_rank(item.marking) <= marking_rank(meeting.marking):
            title = _("Tindak lanjut: %(title)s (%(owner)s, batas %(due)s)") % {
                "title": item.title, "owner": item.owner_unit.name, "due": item.due_date.isoformat()}
        else:
            title = _("Tindak lanjut #%(pk)s (terbatas)") % {"pk": item.pk}
        created.append(AgendaItem.objects.create(meeting=meeting, order=start + i, kind=AgendaKind.CARRY_OVER,
                                                 title=title[:300], action_item=item))
    if created:
        audit_log(actor=actor, action="meeting.carry_over", obj=meeting,
                  data={"previous": previous.pk, "action_items": [a.action_item_id for a in created]})
    return created


_INVITE_FIELDS = ("starts_at", "ends_at", "place", "online_url", "title")


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, now: datetime | None = None, **fields) -> Meeting:
    """Change time, place, link or title; every change the invitation shows raises its iCalendar SEQUENCE."""
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.update")
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("Rapat yang dibatalkan tidak dapat diubah."))
    allowed = {"title", "starts_at", "ends_at", "place", "online_url", "series"}
    changes = {}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        if getattr(meeting, name) != value:
            changes[name] = {"from": getattr(meeting, name), "to": value}
            setattr(meeting, name, value)
    if meeting.ends_at <= meeting.starts_at:
        raise ValidationError({"ends_at": _("Waktu selesai harus setelah waktu mulai.")})
    if not changes:
        return meeting
    if any(name in _INVITE_FIELDS for name in changes):
        meeting.sequence += 1
    meeting.save()
    audit_log(actor=actor, action="meeting.update", obj=meeting, data={**_content(meeting, changes=changes),
                                                                        "fields": sorted(changes),
                                                                        "sequence": meeting.sequence})
    notify(users=_invitees(meeting), kind=NotificationKind.MEETING_UPDATE, obj=meeting,
           url=reverse("coordination:meeting_detail", args=[meeting.pk]), now=now)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str, now: datetime | None = None) -> Meeting:
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.cancel")
    if not reason.strip():
        raise ValidationError({"reason": _("Alasan pembatalan wajib diisi.")})
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["status", "sequence", "updated_at"])
    audit_log(actor=actor, action="meeting.cancel", obj=meeting, data={**_content(meeting, reason=reason.strip()),
                                                                        "sequence": meeting.sequence})
    notify(users=_invitees(meeting), kind=NotificationKind.MEETING_CANCEL, obj=meeting,
           url=reverse("coordination:meeting_detail", args=[meeting.pk]), now=now)
    return meeting


@transaction.atomic
def meeting_minutes_set(*, actor, meeting: Meeting, minutes: str, held: bool = True) -> Meeting:
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.minutes")
    meeting.minutes = minutes
    if held and meeting.status == MeetingStatus.SCHEDULED:
        meeting.status = MeetingStatus.HELD
    meeting.save(update_fields=["minutes", "status", "updated_at"])
    audit_log(actor=actor, action="meeting.minutes", obj=meeting, data={"length": len(minutes),
                                                                         "status": meeting.status})
    return meeting


@transaction.atomic
def agenda_item_add(*, actor, meeting: Meeting, title: str, description: str = "") -> AgendaItem:
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.agenda")
    if not title.strip():
        raise ValidationError({"title": _("Judul agenda wajib diisi.")})
    order = (meeting.agenda_items.aggregate(m=Max("order"))["m"] or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, order=order, title=title.strip(), description=description)
    audit_log(actor=actor, action="meeting.agenda_add", obj=meeting, data={"agenda_item": item.pk,
                                                                            **_content(meeting, title=item.title)})
    return item


@transaction.atomic
def attendance_record(*, actor, meeting: Meeting, name: str, position: str = "", unit=None,
                      present: bool = True) -> Attendance:
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.attendance")
    if not name.strip():
        raise ValidationError({"name": _("Nama wajib diisi.")})
    row = Attendance.objects.create(meeting=meeting, name=name.strip(), position=position, unit=unit,
                                    present=present)
    audit_log(actor=actor, action="meeting.attendance", obj=meeting,
              data={"attendance": row.pk, **_content(meeting, name=row.name), "unit": getattr(unit, "pk", None), "present": present})
    return row


@transaction.atomic
def attachment_add(*, actor, meeting: Meeting, title: str, file) -> MeetingAttachment:
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.attachment")
    row = MeetingAttachment.objects.create(meeting=meeting, title=title.strip() or file.name, file=file,
                                           uploaded_by=actor)
    audit_log(actor=actor, action="meeting.attachment_add", obj=meeting,
              data={"attachment": row.pk, **_content(meeting, title=row.title, file=row.file.name)})
    return row


@transaction.atomic
def decision_add(*, actor, meeting: Meeting, text: str) -> Decision:
    permissions.require(permissions.can_edit_meeting(actor, meeting), "meeting.decision")
    if not text.strip():
        raise ValidationError({"text": _("Isi keputusan wajib diisi.")})
    order = (meeting.decisions.aggregate(m=Max("order"))["m"] or 0) + 1
    decision = Decision.objects.create(meeting=meeting, order=order, text=text.strip())
    audit_log(actor=actor, action="meeting.decision_add", obj=meeting, data={"decision": decision.pk,
                                                                              **_content(meeting, text=decision.text)})
    return decision


# --- action items -------------------------------------------------------------------------------------------

def _check_action_marking(*, marking: str, unit, owner_unit, supporting_units) -> None:
    if marking == Marking.RED:
        raise ValidationError({"marking": _("Tindak lanjut dikerjakan satuan, bukan perorangan: TLP:RED tidak "
                                            "dapat dipakai. Gunakan TLP:AMBER+STRICT atau TLP:AMBER.")})
    if marking == Marking.AMBER_STRICT:
        outside = [u for u in [owner_unit, *supporting_units] if not u.path.startswith(unit.path)]
        if outside:
            raise ValidationError({"marking": _("TLP:AMBER+STRICT tidak boleh keluar dari satuan asal; "
                                                "penanggung jawab/pendukung di luar: %(units)s") % {
                "units": ", ".join(u.name for u in outside)}})


@transaction.atomic
def action_item_create(*, actor, title: str, owner_unit, due_date: date, meeting: Meeting | None = None,
                       decision: Decision | None = None, description: str = "", supporting_units=(),
                       marking: str | None = None, summary: str = "", summary_marking: str = "",
                       share_units=(), share_agencies=(), share_users=(), now: datetime | None = None) -> ActionItem:
    """Raise an action item. The owner and supporting units are always on its share list (they must see it)."""
    if meeting is not None:
        permissions.require(permissions.can_edit_meeting(actor, meeting), "action_item.create")
    else:
        permissions.require(permissions.can_write(actor), "action_item.create")
    if decision is not None and decision.meeting_id != getattr(meeting, "pk", None):
        raise ValidationError({"decision": _("Keputusan berasal dari rapat lain.")})
    if not title.strip():
        raise ValidationError({"title": _("Judul tindak lanjut wajib diisi.")})
    unit = meeting.unit if meeting is not None else actor.unit
    marking = marking or (meeting.marking if meeting is not None and meeting.marking != Marking.RED
                          else Marking.AMBER)
    supporting_units = [u for u in supporting_units if u.pk != owner_unit.pk]
    _check_action_marking(marking=marking, unit=unit, owner_unit=owner_unit, supporting_units=supporting_units)
    _check_marking(marking=marking, summary_marking=summary_marking, summary=summary)
    item = ActionItem.objects.create(
        meeting=meeting, decision=decision, title=title.strip(), description=description, owner_unit=owner_unit,
        due_date=due_date, unit=unit, author=actor, marking=marking, summary=summary,
        summary_marking=summary_marking,
    )
    item.supporting_units.set(supporting_units)
    units = {u.pk: u for u in [*share_units, owner_unit, *supporting_units]}
    _set_shares(item, share_units=units.values(), share_agencies=share_agencies, share_users=share_users)
    audit_log(actor=actor, action="action_item.create", obj=item, data={
        **_content(item, title=item.title), "owner_unit": owner_unit.pk, "supporting_units": [u.pk for u in supporting_units],
        "due_date": due_date, "meeting": getattr(meeting, "pk", None), **_marking_data(item)})
    notify(users=_unit_users([owner_unit, *supporting_units]), kind=NotificationKind.ACTION_ASSIGNED, obj=item,
           url=reverse("coordination:action_detail", args=[item.pk]), now=now)
    return item


@transaction.atomic
def action_update_add(*, actor, item: ActionItem, text: str, status: str = "", evidence=None,
                      evidence_url: str = "", due_date: date | None = None,
                      now: datetime | None = None) -> ActionUpdate:
    """Report progress (with evidence) and optionally move the status or the due date."""
    permissions.require(permissions.can_update_action(actor, item), "action_item.update")
    if not text.strip():
        raise ValidationError({"text": _("Tuliskan perkembangannya.")})
    if status and status not in ActionStatus.values:
        raise ValidationError({"status": _("Status tidak dikenal.")})
    if status == ActionStatus.DONE and not (evidence or evidence_url.strip()):
        raise ValidationError({"evidence": _("Lampirkan bukti (berkas atau tautan) untuk menandai selesai.")})
    before = item.status
    update = ActionUpdate.objects.create(action_item=item, author=actor, text=text.strip(), status_from=before,
                                         status_to=status or "", evidence=evidence or "",
                                         evidence_url=evidence_url.strip())
    fields = ["updated_at"]
    if status and status != before:
        item.status = status
        item.closed_at = clock.now() if status in (ActionStatus.DONE, ActionStatus.CANCELLED) else None
        fields += ["status", "closed_at"]
    if due_date and due_date != item.due_date:
        item.due_date = due_date
        fields.append("due_date")
    item.save(update_fields=fields)
    audit_log(actor=actor, action="action_item.update", obj=item, data={
        "update": update.pk, "status_from": before, "status_to": item.status, "due_date": item.due_date,
        **_content(item, evidence=update.evidence.name if update.evidence else update.evidence_url)})
    recipients = _unit_users([item.unit]) + ([item.author] if item.author_id else [])
    notify(users=[u for u in recipients if u.pk != actor.pk], kind=NotificationKind.ACTION_UPDATED, obj=item,
           url=reverse("coordination:action_detail", args=[item.pk]), now=now)
    return update


# --- reminders -----------------------------------------------------------------------------------------------

def reminders_send(*, now: datetime | None = None, days_before: int = REMINDER_DAYS_BEFORE) -> dict:
    """Remind owners `days_before` days before the due date and once overdue. Each kind goes out once per item
    and due date (a moved due date is reminded again); the sent reminder is recorded and audited."""
    now = now or clock.now()
    today = timezone.localdate(now)
    sent = {ReminderKind.DUE_SOON.value: 0, ReminderKind.OVERDUE.value: 0}
    skipped = 0
    items = ActionItem.objects.filter(status__in=OPEN_STATUSES, due_date__lte=today + timedelta(days=days_before))
    for item in items.select_related("owner_unit", "unit").order_by("due_date", "id"):
        kind = ReminderKind.OVERDUE if item.due_date < today else ReminderKind.DUE_SOON
        try:
            with transaction.atomic():
                reminder = ActionReminder.objects.create(action_item=item, kind=kind, due_date=item.due_date,
                                                         sent_at=now)
                users = _unit_users([item.owner_unit]) + ([item.author] if item.author_id else [])
                if kind == ReminderKind.OVERDUE:
                    users += _unit_users([item.unit])
                n = notify(users=users, kind=kind, obj=item, now=now,
                           url=reverse("coordination:action_detail", args=[item.pk]))
                reminder.recipients = n
                reminder.save(update_fields=["recipients"])
                audit_log(actor=None, action=f"action_item.reminder_{kind}", obj=item,
                          data={"due_date": item.due_date, "recipients": n})
        except IntegrityError:
            skipped += 1  # already reminded of this kind for this due date
            continue
        sent[kind.value] += 1
    return {"now": now.isoformat(), "sent": sent, "already_sent": skipped}


# --- shared notes ----------------------------------------------------------------------------------------------

@transaction.atomic
def note_create(*, actor, kind: str, title: str, body: str, marking: str = Marking.AMBER, summary: str = "",
                summary_marking: str = "", share_units=(), share_agencies=(), share_users=(), regions=(),
                polling_stations=(), meetings=(), incident_ids=(), election_year: int | None = None,
                now: datetime | None = None) -> SharedNote:
    permissions.require(permissions.can_write(actor), "note.create")
    if not title.strip() or not body.strip():
        raise ValidationError({"title": _("Judul dan isi wajib diisi.")})
    _check_marking(marking=marking, summary_marking=summary_marking, summary=summary, share_units=share_units,
                   share_agencies=share_agencies, share_users=share_users)
    visible_meetings = set(selectors.meeting_full_ids(actor).values_list("pk", flat=True))
    if any(m.pk not in visible_meetings for m in meetings):
        raise ValidationError({"meetings": _("Rapat tidak ditemukan.")})
    note = SharedNote.objects.create(kind=kind, title=title.strip(), body=body, marking=marking, summary=summary,
                                     summary_marking=summary_marking, unit=actor.unit, author=actor,
                                     incident_ids=sorted({int(i) for i in incident_ids}),
                                     election_year=election_year)
    _set_shares(note, share_units=share_units, share_agencies=share_agencies, share_users=share_users)
    note.regions.set(regions)
    note.polling_stations.set(polling_stations)
    note.meetings.set(meetings)
    audit_log(actor=actor, action="note.create", obj=note, data={"kind": kind, **_content(note, title=note.title),
                                                                  **_marking_data(note)})
    notify(users=_unit_users(share_units) + list(share_users), kind=NotificationKind.NOTE_SHARED, obj=note,
           url=reverse("coordination:note_detail", args=[note.pk]), now=now)
    return note
