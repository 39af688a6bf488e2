"""Exercise pages (/latihan/): start, enter/leave, stop, purge, debrief (page and PDF). These pages always run on
the real database (sinergi.exercises.middleware.OUTSIDE)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sinergi.core.permissions import has_perm
from sinergi.elections.models import Election

from . import debrief as debrief_mod
from . import selectors, services
from .middleware import SESSION_KEY
from .models import Exercise, ExerciseStatus


class StartForm(forms.Form):
    election = forms.ChoiceField(label=gettext_lazy("Pemilihan"))
    date = forms.CharField(label=gettext_lazy("Tanggal simulasi"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.CharField(label=gettext_lazy("Dari (waktu setempat)"), initial="06:00", max_length=5)
    end = forms.CharField(label=gettext_lazy("Sampai"), initial="24:00", max_length=5)
    speed = forms.IntegerField(label=gettext_lazy("Kecepatan (x)"), initial=10, min_value=1, max_value=60)
    title = forms.CharField(label=gettext_lazy("Judul"), required=False, max_length=160)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        elections = list(Election.objects.order_by("-voting_date"))
        self.fields["election"].choices = [(e.code, e.name) for e in elections]
        if elections and not self.is_bound:
            self.initial.setdefault("date", elections[0].voting_date.isoformat())


def _require(user, action: str) -> None:
    if not has_perm(user, action):
        raise PermissionDenied(action)


def _row(ex: Exercise) -> dict:
    tz = ZoneInfo(ex.tz)
    sim_now = ex.clock().at(timezone.now()) if ex.status in (ExerciseStatus.RUNNING, ExerciseStatus.STOPPED) else None
    return {"ex": ex, "window": services.local_window(ex),
            "sim_now": timezone.localtime(sim_now, tz) if sim_now else None,
            "ended": ex.is_running and ex.clock().ended}


@login_required
@require_GET
def index(request):
    if not (has_perm(request.user, "exercise.join") or has_perm(request.user, "exercise.manage")):
        raise PermissionDenied("exercise.join")
    rows = [_row(ex) for ex in selectors.exercise_list(user=request.user)[:50]]
    running = next((r for r in rows if r["ex"].is_running), None)
    return render(request, "exercises/index.html", {
        "rows": rows, "running": running, "form": StartForm() if has_perm(request.user, "exercise.manage") else None,
        "can_manage": has_perm(request.user, "exercise.manage"), "entered": request.session.get(SESSION_KEY)})


@login_required
@require_POST
def start(request):
    _require(request.user, "exercise.manage")
    form = StartForm(request.POST)
    try:
        ex = services.exercise_start(actor=request.user, data=request.POST.dict())
    except ValidationError as exc:
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
        rows = [_row(e) for e in selectors.exercise_list(user=request.user)[:50]]
        return render(request, "exercises/index.html", {
            "rows": rows, "running": next((r for r in rows if r["ex"].is_running), None), "form": form,
            "can_manage": True, "entered": request.session.get(SESSION_KEY)}, status=400)
    messages.success(request, _("Latihan %(ex)s dimulai.") % {"ex": ex})
    return redirect("exercises:index")


@login_required
@require_POST
def enter(request, pk: int):
    _require(request.user, "exercise.join")
    ex = get_object_or_404(selectors.exercise_list(user=request.user), pk=pk)
    if not ex.is_running:
        messages.error(request, _("Latihan ini tidak sedang berjalan."))
        return redirect("exercises:index")
    request.session[SESSION_KEY] = ex.pk
    messages.info(request, _("Anda masuk ke latihan: semua halaman memakai jam dan catatan latihan."))
    nxt = request.POST.get("next") or ""
    return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "operations:index")


@login_required
@require_POST
def leave(request):
    request.session.pop(SESSION_KEY, None)
    messages.info(request, _("Anda keluar dari latihan."))
    return redirect("exercises:index")


@login_required
@require_POST
def stop(request, pk: int):
    _require(request.user, "exercise.manage")
    ex = get_object_or_404(Exercise, pk=pk)
    try:
        services.exercise_stop(actor=request.user, exercise=ex)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("exercises:index")
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("Latihan dihentikan. Evaluasi tersedia."))
    return redirect("exercises:debrief", pk=pk)


@login_required
@require_POST
def purge(request, pk: int):
    _require(request.user, "exercise.manage")
    ex = get_object_or_404(Exercise, pk=pk)
    try:
        ex = services.exercise_purge(actor=request.user, exercise=ex)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Semua catatan latihan dihapus (%(n)s laporan TPS).") % {
            "n": ex.counts.get("checkins", 0)})
    return redirect("exercises:index")


def _reads_whole_exercise(user) -> bool:
    """The debrief covers every Polres of the exercise: it is for the command that runs it (admins and
    commanders of a province or national unit), not for one Polres' commander."""
    from sinergi.accounts.choices import UnitLevel
    from sinergi.accounts.selectors import is_global

    return is_global(user) or bool(user.unit_id and user.unit.level in (UnitLevel.PROVINCE, UnitLevel.NATIONAL))


def _debrief_context(request, pk: int) -> dict:
    _require(request.user, "exercise.manage")
    if not _reads_whole_exercise(request.user):
        raise PermissionDenied("exercise debrief: province command only")
    ex = get_object_or_404(Exercise, pk=pk)
    if ex.status == ExerciseStatus.RUNNING:
        data, live = debrief_mod.build_debrief(ex), True
    elif ex.status == ExerciseStatus.STOPPED:
        data, live = ex.debrief, False
    else:
        raise Http404("tidak ada evaluasi")
    return {"ex": ex, "d": data, "live": live, "window": services.local_window(ex),
            "generated": timezone.localtime(dt.datetime.fromisoformat(data["generated_at"])),
            "coverage_kinds": [("opened", _("dibuka")), ("closed", _("ditutup")), ("counted", _("dihitung")),
                               ("handed_over", _("diserahkan"))]}


@login_required
@require_GET
def debrief(request, pk: int):
    return render(request, "exercises/debrief.html", _debrief_context(request, pk))


@login_required
@require_GET
def debrief_pdf(request, pk: int):
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML  # imported lazily: loading pango costs ~0.5 s

    ctx = _debrief_context(request, pk)
    html = render_to_string("exercises/debrief_pdf.html", ctx, request=request)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="evaluasi-latihan-{pk}.pdf"'
    return resp
