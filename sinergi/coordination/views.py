"""Pages of coordination: meetings, action items, the per-agency obligations page, shared notes,
notifications, iCalendar and PDF/CSV exports. Reads go through selectors, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.accounts.models import Agency, User
from sinergi.core import clock
from sinergi.core.exports import csv_writer

from . import documents, forms, permissions, selectors, services
from .choices import NoteKind
from .models import ActionItem, Meeting, SharedNote

FEED_SALT = "sinergi.coordination.feed"


def _get(qs, pk):
    """A record from a restricted queryset, or 404 — records the user may not see do not exist for them."""
    try:
        return qs.get(pk=pk)
    except qs.model.DoesNotExist:
        raise Http404 from None


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _shares(cd) -> dict:
    return {
        "marking": cd["marking"], "summary_marking": cd.get("summary_marking") or "",
        "summary": cd.get("summary") or "", "share_units": list(cd.get("share_units") or []),
        "share_agencies": list(cd.get("share_agencies") or []), "share_users": list(cd.get("share_users") or []),
    }


# --- meetings ------------------------------------------------------------------------------------------

@login_required
@require_GET
def meeting_list(request):
    meetings = selectors.meeting_list(user=request.user)
    now = clock.now()
    return render(request, "coordination/meeting_list.html", {
        "upcoming": meetings.filter(ends_at__gte=now).order_by("starts_at")[:100],
        "past": meetings.filter(ends_at__lt=now).order_by("-starts_at")[:50],
        "can_write": permissions.can_write(request.user),
        "feed_url": request.build_absolute_uri(reverse("coordination:calendar_feed_token",
                                                       args=[feed_token(request.user)])),
    })


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    if not permissions.can_write(request.user):
        raise PermissionDenied
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=request.user, title=cd["title"], starts_at=cd["starts_at"], ends_at=cd["ends_at"],
                place=cd["place"], online_url=cd["online_url"], series=cd["series"],
                agenda=cd["agenda"].splitlines(), **_shares(cd))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Rapat dibuat."))
            return redirect("coordination:meeting_detail", pk=meeting.pk)
    return render(request, "coordination/meeting_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = _get(selectors.meeting_list(user=request.user), pk)
    if not meeting.full_access or not permissions.can_edit_meeting(request.user, meeting):
        raise PermissionDenied
    local = timezone.localtime
    initial = {"title": meeting.title, "starts_at": local(meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
               "ends_at": local(meeting.ends_at).strftime("%Y-%m-%dT%H:%M"), "place": meeting.place,
               "online_url": meeting.online_url, "series": meeting.series}
    form = forms.MeetingEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Rapat diperbarui; undangan yang diperbarui dikirim ke peserta."))
            return redirect("coordination:meeting_detail", pk=meeting.pk)
    return render(request, "coordination/meeting_edit.html", {"form": form, "meeting": meeting})


def _meeting_context(request, meeting):
    user = request.user
    full = meeting.full_access
    ctx = {"meeting": meeting, "full": full}
    if full:
        editable = permissions.can_edit_meeting(user, meeting)
        visible_actions = selectors.action_item_list(user=user)
        ctx.update({
            "agenda": selectors.agenda_item_list(user=user).filter(meeting=meeting),
            "visible_action_ids": set(visible_actions.filter(full_access=True).values_list("pk", flat=True)),
            "attendance": selectors.attendance_list(user=user).filter(meeting=meeting),
            "attachments": selectors.attachment_list(user=user).filter(meeting=meeting),
            "decisions": selectors.decision_list(user=user).filter(meeting=meeting),
            "actions": visible_actions.filter(meeting=meeting),
            "notes": selectors.note_list(user=user, meeting=meeting.pk),
            "editable": editable,
            "can_mark": permissions.can_change_marking(user, meeting),
        })
        if editable:
            ctx.update({"agenda_form": forms.AgendaItemForm(), "decision_form": forms.DecisionForm(),
                        "attendance_form": forms.AttendanceForm(), "attachment_form": forms.AttachmentForm(),
                        "minutes_form": forms.MinutesForm(initial={"minutes": meeting.minutes}),
                        "cancel_form": forms.CancelForm()})
    return ctx


@login_required
@require_GET
def meeting_detail(request, pk):
    meeting = _get(selectors.meeting_list(user=request.user), pk)
    services.record_read(actor=request.user, obj=meeting)
    return render(request, "coordination/meeting_detail.html", _meeting_context(request, meeting))


def _editable_meeting(request, pk) -> Meeting:
    meeting = _get(selectors.restrict_full(Meeting.objects.all(), request.user), pk)
    if not permissions.can_edit_meeting(request.user, meeting):
        raise PermissionDenied
    return meeting


@login_required
@require_POST
def meeting_part_add(request, pk, part):
    """POST targets of the meeting page: agenda, decision, attendance, minutes, attachment, cancel."""
    meeting = _editable_meeting(request, pk)
    form_class, call = {
        "agenda": (forms.AgendaItemForm, lambda cd: services.agenda_item_add(
            actor=request.user, meeting=meeting, title=cd["title"], description=cd["description"])),
        "decision": (forms.DecisionForm, lambda cd: services.decision_add(
            actor=request.user, meeting=meeting, text=cd["text"])),
        "attendance": (forms.AttendanceForm, lambda cd: services.attendance_record(
            actor=request.user, meeting=meeting, name=cd["name"], position=cd["position"], unit=cd["unit"],
            present=cd["present"])),
        "minutes": (forms.MinutesForm, lambda cd: services.meeting_minutes_set(
            actor=request.user, meeting=meeting, minutes=cd["minutes"])),
        "attachment": (forms.AttachmentForm, lambda cd: services.attachment_add(
            actor=request.user, meeting=meeting, title=cd["title"], file=cd["file"])),
        "cancel": (forms.CancelForm, lambda cd: services.meeting_cancel(
            actor=request.user, meeting=meeting, reason=cd["reason"])),
    }.get(part, (None, None))
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Tersimpan."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("coordination:meeting_detail", pk=meeting.pk)


@login_required
@require_GET
def attachment_download(request, pk, attachment_pk):
    attachment = _get(selectors.attachment_list(user=request.user).filter(meeting_id=pk), attachment_pk)
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    services.record_read(actor=request.user, obj=meeting)
    return FileResponse(attachment.file.open("rb"), as_attachment=True,
                        filename=attachment.file.name.rsplit("/", 1)[-1])


@login_required
@require_GET
def meeting_ics(request, pk):
    meeting = _get(selectors.meeting_list(user=request.user), pk)
    meeting.agenda_for_ics = list(selectors.agenda_item_list(user=request.user).filter(meeting=meeting)) \
        if meeting.full_access else []
    body = documents.meeting_invitation(meeting, full=meeting.full_access,
                                        base_url=request.build_absolute_uri(meeting_url(meeting)))
    services.record_read(actor=request.user, obj=meeting, via="ics")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8; method="
                            + ("CANCEL" if meeting.status == "cancelled" else "REQUEST"))
    response["Content-Disposition"] = f'attachment; filename="rapat-{meeting.pk}.ics"'
    return response


def meeting_url(meeting) -> str:
    return reverse("coordination:meeting_detail", args=[meeting.pk])


def feed_token(user) -> str:
    return signing.dumps({"u": user.pk}, salt=FEED_SALT)


def _feed_response(user):
    meetings = list(selectors.meeting_list(user=user).filter(ends_at__gte=documents.feed_window())
                    .order_by("starts_at"))
    services.meetings_feed_read(actor=user, meetings=meetings)
    body = documents.meetings_feed(meetings, name=_("Rapat Sinergi — %(name)s") % {"name": user.get_username()})
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="sinergi-rapat.ics"'
    return response


@login_required
@require_GET
def calendar_feed(request):
    return _feed_response(request.user)


@require_GET
def calendar_feed_token(request, token):
    """The per-user feed for calendar apps, which cannot sign in: a signed, user-bound token."""
    try:
        data = signing.loads(token, salt=FEED_SALT)
        user = User.objects.select_related("unit", "unit__agency").get(pk=data["u"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        raise Http404 from None
    return _feed_response(user)


def _pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_GET
def meeting_pack_pdf(request, pk):
    meeting = _get(selectors.restrict_full(Meeting.objects.select_related("unit"), request.user), pk)
    services.record_read(actor=request.user, obj=meeting)
    user = request.user
    open_items = selectors.action_item_list(user=user).filter(status__in=("open", "in_progress", "blocked"),
                                                              full_access=True)
    if meeting.previous_id:
        prev_ids = selectors.open_action_items_of_meeting(meeting.previous).values("pk")
        open_items = open_items.filter(pk__in=prev_ids) | open_items.filter(meeting=meeting)
    else:
        open_items = open_items.filter(meeting=meeting)
    body = documents.render_pdf("coordination/pdf/meeting_pack.html", {
        "meeting": meeting, "agenda": selectors.agenda_item_list(user=user).filter(meeting=meeting),
        "open_items": open_items.distinct().order_by("due_date", "id"),
        "risk": documents.risk_summary(user), "incidents": documents.incident_summary(user),
        "generated_at": clock.now(), "generated_by": user,
    })
    return _pdf_response(body, f"paket-rapat-{meeting.pk}.pdf")


@login_required
@require_GET
def meeting_minutes_pdf(request, pk):
    meeting = _get(selectors.restrict_full(Meeting.objects.select_related("unit"), request.user), pk)
    services.record_read(actor=request.user, obj=meeting)
    user = request.user
    body = documents.render_pdf("coordination/pdf/minutes.html", {
        "meeting": meeting, "agenda": selectors.agenda_item_list(user=user).filter(meeting=meeting),
        "attendance": selectors.attendance_list(user=user).filter(meeting=meeting),
        "decisions": selectors.decision_list(user=user).filter(meeting=meeting),
        "actions": selectors.action_item_list(user=user).filter(meeting=meeting, full_access=True),
        "generated_at": clock.now(), "generated_by": user,
    })
    return _pdf_response(body, f"notulen-rapat-{meeting.pk}.pdf")


# --- action items ---------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def action_create(request, pk=None):
    meeting = _editable_meeting(request, pk) if pk else None
    if meeting is None and not permissions.can_write(request.user):
        raise PermissionDenied
    form = forms.ActionItemForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            item = services.action_item_create(
                actor=request.user, meeting=meeting, decision=cd.get("decision"), title=cd["title"],
                description=cd["description"], owner_unit=cd["owner_unit"],
                supporting_units=list(cd["supporting_units"]), due_date=cd["due_date"], marking=cd["marking"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Tindak lanjut dibuat."))
            return redirect("coordination:meeting_detail", pk=meeting.pk) if meeting else redirect(
                "coordination:action_detail", pk=item.pk)
    return render(request, "coordination/action_form.html", {"form": form, "meeting": meeting})


@login_required
@require_http_methods(["GET", "POST"])
def action_detail(request, pk):
    item = _get(selectors.action_item_list(user=request.user).prefetch_related("supporting_units"), pk)
    can_update = item.full_access and permissions.can_update_action(request.user, item)
    form = forms.ActionUpdateForm(request.POST or None, request.FILES or None) if can_update else None
    if request.method == "POST":
        if not can_update:
            raise PermissionDenied
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.action_update_add(actor=request.user, item=item, text=cd["text"], status=cd["status"],
                                           evidence=cd["evidence"], evidence_url=cd["evidence_url"] or "",
                                           due_date=cd["due_date"])
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Perkembangan dicatat."))
                return redirect("coordination:action_detail", pk=item.pk)
    else:
        services.record_read(actor=request.user, obj=item)
    updates = selectors.action_update_list(user=request.user).filter(action_item=item) if item.full_access else []
    return render(request, "coordination/action_detail.html", {
        "item": item, "updates": updates, "form": form, "today": clock.localdate(),
        "can_mark": item.full_access and permissions.can_change_marking(request.user, item),
    })


@login_required
@require_GET
def agency_obligations(request, code=None):
    """What our agency owes and what is owed to it (open action items the user may see)."""
    if code is None:
        if not request.user.unit_id:
            raise Http404
        agency = request.user.unit.agency
    else:
        agency = _get(Agency.objects.all(), Agency.objects.filter(code=code).values_list("pk", flat=True).first())
    data = selectors.agency_obligations(user=request.user, agency=agency)
    return render(request, "coordination/agency.html", {
        "agency": agency, "owe": data["owe"], "owed": data["owed"], "today": clock.localdate(),
        "agencies": Agency.objects.exclude(code="PUBLIC"),
    })


# --- shared notes -----------------------------------------------------------------------------------------

def _note_filters(request) -> dict:
    g = request.GET
    def _int(name):
        value = g.get(name, "")
        return int(value) if value.isdigit() else None
    return {"q": g.get("q", "").strip(), "kind": g.get("kind", "") if g.get("kind") in NoteKind.values else "",
            "region": g.get("region", "").strip(), "meeting": _int("meeting"), "tps": _int("tps"),
            "incident": _int("incident")}


@login_required
@require_GET
def note_list(request):
    filters = _note_filters(request)
    notes = selectors.note_list(user=request.user, **filters)
    return render(request, "coordination/note_list.html", {
        "notes": notes[:200], "filters": filters, "kinds": NoteKind.choices,
        "can_write": permissions.can_write(request.user),
    })


@login_required
@require_GET
def note_export_csv(request):
    """CSV of the notes the user may see; summary-only rows carry the summary, never the body."""
    notes = selectors.note_list(user=request.user, **_note_filters(request)).prefetch_related("regions")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catatan-bersama.csv"'
    writer = csv_writer(response)  # formula-safe cells
    writer.writerow(["id", "jenis", "penandaan", "judul", "isi", "akses", "satuan_asal", "wilayah", "dibuat"])
    for n in notes:
        marking = n.marking if n.full_access else n.summary_marking
        writer.writerow([n.pk, n.kind, f"TLP:{marking}", n.title, n.body if n.full_access else n.summary,
                         "penuh" if n.full_access else "ringkasan", n.unit.name,
                         " ".join(r.code for r in n.regions.all()) if n.full_access else "",
                         timezone.localtime(n.created_at).isoformat()])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def note_create(request):
    if not permissions.can_write(request.user):
        raise PermissionDenied
    form = forms.NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            note = services.note_create(actor=request.user, kind=cd["kind"], title=cd["title"], body=cd["body"],
                                        regions=cd["regions"], incident_ids=cd["incident_ids"],
                                        election_year=cd["election_year"], **_shares(cd))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Catatan dibagikan."))
            return redirect("coordination:note_detail", pk=note.pk)
    return render(request, "coordination/note_form.html", {"form": form})


@login_required
@require_GET
def note_detail(request, pk):
    note = _get(selectors.note_list(user=request.user).prefetch_related("regions", "meetings"), pk)
    services.record_read(actor=request.user, obj=note)
    return render(request, "coordination/note_detail.html", {
        "note": note, "can_mark": note.full_access and permissions.can_change_marking(request.user, note),
        "meetings": selectors.restrict_full(note.meetings.all(), request.user) if note.full_access else [],
    })


MARKABLE = {"rapat": (Meeting, "coordination:meeting_detail"),
            "tindak-lanjut": (ActionItem, "coordination:action_detail"),
            "catatan": (SharedNote, "coordination:note_detail")}


@login_required
@require_http_methods(["GET", "POST"])
def marking_change(request, kind, pk):
    model, detail = MARKABLE.get(kind, (None, None))
    if model is None:
        raise Http404
    obj = _get(selectors.restrict_full(model.objects.all(), request.user), pk)
    if not permissions.can_change_marking(request.user, obj):
        raise PermissionDenied
    initial = {"marking": obj.marking, "summary_marking": obj.summary_marking, "summary": obj.summary,
               "share_units": obj.share_units.all(), "share_agencies": obj.share_agencies.all(),
               "share_users": obj.share_users.all()}
    form = forms.MarkingChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.marking_change(actor=request.user, obj=obj, reason=cd["reason"], **_shares(cd))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Penandaan diubah."))
            return redirect(detail, pk=obj.pk)
    return render(request, "coordination/marking_form.html", {"form": form, "obj": obj, "detail": detail})


# --- notifications ----------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request):
    items = selectors.notification_list(user=request.user)
    if request.method == "POST":
        for n in items.filter(read_at__isnull=True):
            services.notification_mark_read(actor=request.user, notification=n)
        return redirect("coordination:notifications")
    return render(request, "coordination/notifications.html", {"notifications": items[:200]})


