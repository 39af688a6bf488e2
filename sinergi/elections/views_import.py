"""Pages for importing KPU's TPS list: upload form with the run list, run list, run detail."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from sinergi.core import uploads
from sinergi.core.models import TaskRun
from sinergi.core.permissions import has_perm

from . import selectors, services
from .models import Election

RUNS_SHOWN = 50


class TpsImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas daftar TPS (.csv UTF-8 atau .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    election = forms.ChoiceField(label=_("Pemilihan"))
    valid_only = forms.BooleanField(
        label=_("Impor baris yang valid saja (baris bermasalah dilewati dan dilaporkan)"), required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(Election.objects.order_by("-voting_date").values_list("code", "name"))
        self.fields["election"].choices = choices
        codes = [c for c, _n in choices]
        self.fields["election"].initial = (
            services.DEFAULT_ELECTION_CODE if services.DEFAULT_ELECTION_CODE in codes else (codes[0] if codes else None)
        )


@login_required
@require_http_methods(["GET", "POST"])
def tps_import(request):
    if not has_perm(request.user, "tps.import"):
        raise PermissionDenied
    form = TpsImportForm(request.POST, request.FILES) if request.method == "POST" else TpsImportForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.tps_import_start(
                actor=request.user, file_bytes=uploads.read_upload(upload), filename=upload.name,
                valid_only=form.cleaned_data["valid_only"], election_code=form.cleaned_data["election"],
            )
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, messages)
        else:
            return redirect("elections:tps_import_run", pk=run.pk)
    runs = selectors.tps_import_run_list(user=request.user)[:RUNS_SHOWN]
    return render(request, "elections/import_upload.html", {"form": form, "runs": runs})


@login_required
def tps_import_runs(request):
    if not (has_perm(request.user, "taskrun.view") or has_perm(request.user, "tps.import")):
        raise PermissionDenied
    runs = selectors.tps_import_run_list(user=request.user)[:200]
    return render(request, "elections/import_runs.html", {
        "runs": runs, "can_import": has_perm(request.user, "tps.import"),
    })


@login_required
def tps_import_run(request, pk: int):
    run = selectors.tps_import_run_get(user=request.user, pk=pk)
    if run is None:
        raise Http404
    active = run.status in (TaskRun.Status.QUEUED, TaskRun.Status.RUNNING)
    result = run.result or {}
    context = {
        "run": run, "result": result, "active": active, "errors": result.get("errors") or [],
        "can_import": has_perm(request.user, "tps.import"),
        "taken_ranges": _ranges(result.get("taken_rows") or []),
        "rejected_ranges": _ranges(result.get("rejected_rows") or []),
    }
    template = "elections/import_run_status.html" if getattr(request, "htmx", False) else \
        "elections/import_run.html"
    return render(request, template, context)


def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7, 9, 10] -> "2–4, 7, 9–10"."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(parts)


urlpatterns = [
    path("impor-tps/", tps_import, name="tps_import"),
    path("impor-tps/riwayat/", tps_import_runs, name="tps_import_runs"),
    path("impor-tps/<int:pk>/", tps_import_run, name="tps_import_run"),
]
