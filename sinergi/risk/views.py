"""Pages: risk map, TPS risk card, rankings, model editor with preview, observations (form and upload), exports."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.core import uploads
from sinergi.elections.models import PollingStation
from sinergi.regions.models import Region

from . import exports, importers, selectors, services
from .forms import ModelForm, ObservationForm, ObservationImportForm
from .models import Indicator
from .permissions import can, require


def _json(data) -> HttpResponse:
    return HttpResponse(json.dumps(data, separators=(",", ":")), content_type="application/json")


def _ctx(request, **extra):
    model = selectors.current_model(user=request.user)
    summary = (model.summary or {}) if model else {}
    return {"model": model, "summary": summary, "tiers": summary.get("tiers") or {},
            "is_demo": bool(summary.get("demo")), "can_edit": can(request.user, "risk.model.edit"),
            "can_observe": can(request.user, "risk.observe"), **extra}


@login_required
@require_GET
def risk_map(request):
    require(request.user, "risk.view")
    return render(request, "risk/map.html", _ctx(request))


@login_required
@require_GET
def tps_points_json(request):
    require(request.user, "risk.view")
    return _json(selectors.tier_points(user=request.user))


@login_required
@require_GET
def regions_json(request):
    """Regency (default) or kecamatan (?parent=) boundaries with tier, score and TPS tier counts."""
    require(request.user, "risk.view")
    from sinergi.regions.selectors import boundary_features

    parent = request.GET.get("parent", "")
    fc = boundary_features(user=request.user, parent=parent, level="" if parent else "regency")
    by_code = {r.region_id: r for r in selectors.region_assessment_list(user=request.user)
               .filter(region_id__in=[f["id"] for f in fc["features"]])}
    for f in fc["features"]:
        a = by_code.get(f["id"])
        f["properties"].update({"tier": a.tier if a else "", "score": a.score if a else None,
                                "basis": a.basis if a else "", "n_rawan": a.n_rawan if a else 0,
                                "n_sangat_rawan": a.n_sangat_rawan if a else 0,
                                "n_kurang_rawan": a.n_kurang_rawan if a else 0})
    return _json(fc)


@login_required
@require_GET
def tps_card(request, pk: int):
    card = selectors.tps_card(user=request.user, pk=pk)
    if card is None:
        raise Http404
    template = "risk/tps_card_popup.html" if request.GET.get("popup") else "risk/tps_card.html"
    return render(request, template, _ctx(request, card=card, explanation=selectors.explain(card),
                                          tps=card["tps"], a=card["assessment"]))


@login_required
@require_GET
def ranking(request):
    require(request.user, "risk.view")
    level = request.GET.get("level", "regency")
    if level not in ("regency", "district"):
        level = "regency"
    parent = request.GET.get("parent", "")
    rows = selectors.region_assessment_list(user=request.user, level=level, parent=parent)
    rows = sorted(rows, key=lambda r: (-(r.score if r.score is not None else -1), r.region_id))
    top_tps = selectors.assessment_list(user=request.user).exclude(score=None).order_by("-score", "polling_station__code")
    if parent:
        field = "polling_station__regency_code" if len(parent) == 5 else "polling_station__district_code"
        top_tps = top_tps.filter(**{field: parent})
    parent_region = Region.objects.filter(code=parent).first() if parent else None
    return render(request, "risk/ranking.html", _ctx(request, rows=rows, level=level, parent=parent_region,
                                                     top_tps=top_tps[:50]))


@login_required
@require_GET
def export(request, what: str, fmt: str):
    require(request.user, "risk.view")
    model = selectors.current_model(user=request.user)
    if model is None or what != "tps" or fmt not in ("csv", "xlsx", "geojson"):
        raise Http404
    names = dict(Region.objects.filter(level__in=["regency", "district"], province_code=model.election.province_id
                                       or "53").values_list("code", "name"))
    data = exports.rows(selectors.assessment_list(user=request.user, model=model), model, names,
                        selectors.indicator_names())
    demo = "-demo" if (model.summary or {}).get("demo") else ""
    name = f"kerawanan-tps-v{model.version}{demo}.{fmt}"
    if fmt == "csv":
        body, ctype = exports.to_csv(data), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.to_xlsx(data, "kerawanan TPS")
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = exports.to_geojson(data), "application/geo+json"
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@login_required
@require_http_methods(["GET", "POST"])
def model_list(request):
    require(request.user, "risk.view")
    models = selectors.model_list(user=request.user, election=services.default_election())
    if request.method == "POST":
        require(request.user, "risk.model.edit")
        draft = services.model_draft_create(actor=request.user, election=services.default_election())
        return redirect("risk:model_detail", pk=draft.pk)
    return render(request, "risk/models.html", _ctx(request, models=models))


@login_required
@require_http_methods(["GET", "POST"])
def model_detail(request, pk: int):
    m = selectors.model_get(user=request.user, pk=pk)
    if m is None:
        raise Http404
    form = ModelForm(instance=m)
    weights = list(m.weights.select_related("indicator").order_by("indicator__scope", "indicator__order"))
    preview = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "publish":
                services.model_publish(actor=request.user, model=m)
                messages.success(request, _("Model diterbitkan; hitung ulang dijadwalkan."))
                return redirect("risk:model_detail", pk=m.pk)
            form = ModelForm(request.POST, instance=selectors.model_get(user=request.user, pk=pk))
            if form.is_valid():
                new_weights = {}
                for w in weights:
                    raw = request.POST.get(f"w_{w.indicator.code}")
                    if raw not in (None, ""):
                        new_weights[w.indicator.code] = float(raw.replace(",", "."))
                params = {f: form.cleaned_data[f] for f in form.Meta.fields}
                services.model_update(actor=request.user, model=m, weights=new_weights, **params)
                m.refresh_from_db()
                weights = list(m.weights.select_related("indicator").order_by("indicator__scope", "indicator__order"))
                if action == "preview":
                    preview = selectors.preview_counts(m)
                else:
                    messages.success(request, _("Draf disimpan."))
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except ValueError:
            form.add_error(None, _("Bobot harus angka."))
    return render(request, "risk/model_detail.html", _ctx(request, m=m, form=form, weights=weights,
                                                          preview=preview, editable=m.is_editable and
                                                          can(request.user, "risk.model.edit")))


@login_required
@require_POST
def recompute(request):
    require(request.user, "risk.recompute")
    run = services.risk_recompute(actor=request.user)
    messages.success(request, _("Hitung ulang selesai dalam %(s).2f detik.") % {"s": run.duration_s or 0})
    return redirect("risk:map")


@login_required
@require_http_methods(["GET", "POST"])
def observations(request):
    require(request.user, "risk.view")
    form = ObservationForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require(request.user, "risk.observe")
        if form.is_valid():
            d = form.cleaned_data
            tps = region = None
            if d["tps_code"]:
                tps = PollingStation.objects.filter(code=d["tps_code"].strip(),
                                                    election=services.default_election()).first()
                if tps is None:
                    form.add_error("tps_code", _("TPS tidak ditemukan."))
            elif d["region_code"]:
                region = Region.objects.filter(code=d["region_code"].strip()).first()
                if region is None:
                    form.add_error("region_code", _("Wilayah tidak ditemukan."))
            if form.is_valid():
                try:
                    services.observation_create(actor=request.user, indicator=d["indicator"], value=d["value"],
                                                observed_on=d["observed_on"], polling_station=tps, region=region,
                                                evidence_text=d["evidence_text"], evidence_file=d["evidence_file"],
                                                key=d.get("key") or None)
                except ValidationError as exc:
                    for _field, errs in exc.message_dict.items():
                        form.add_error(None, errs)
                except PermissionDenied:
                    raise
                else:
                    messages.success(request, _("Pengamatan dicatat."))
                    return redirect("risk:observations")
    rows = selectors.observation_list(user=request.user).order_by("-created_at", "-id")[:100]
    return render(request, "risk/observations.html", _ctx(request, form=form, rows=rows,
                                                          import_form=ObservationImportForm()))


@login_required
@require_POST
def observation_import(request):
    require(request.user, "risk.observe")
    form = ObservationImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Pilih berkas."))
        return redirect("risk:observations")
    up = form.cleaned_data["file"]
    try:
        run = importers.observation_import_start(actor=request.user, file_bytes=uploads.read_upload(up), filename=up.name,
                                                 valid_only=form.cleaned_data["valid_only"])
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("risk:observations")
    return redirect("risk:import_run", pk=run.pk)


@login_required
@require_GET
def import_run(request, pk: int):
    from sinergi.core.models import TaskRun

    run = get_object_or_404(TaskRun, pk=pk, kind=importers.IMPORT_KIND)
    if not (can(request.user, "risk.observe") and (run.created_by_id == request.user.pk
                                                   or request.user.is_superuser or request.user.role == "admin")):
        raise Http404
    return render(request, "risk/import_run.html", _ctx(request, run=run, result=run.result or {}))


@login_required
@require_GET
def indicators(request):
    require(request.user, "risk.view")
    return render(request, "risk/indicators.html", _ctx(request, rows=Indicator.objects.all()))
