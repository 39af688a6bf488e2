"""State changes of vulnerability mapping. Every writer records an audit event.

Catalog: `catalog_load`, `indicator_create`, `indicator_update`. Observations: `observation_create` (form/API),
`observation_import_start` / `observation_import_execute` (CSV/XLSX), `risk_inputs_rebuild`. Models:
`model_draft_create`, `model_update`, `model_publish`. Recompute: `risk_recompute_request` (debounced, queued
after observations, incidents or a published model change) and `risk_recompute_execute` / `risk_recompute`.
Set-up: `risk_seed_defaults` (catalog + default model, idempotent) and `risk_demo_observations`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sinergi.core import clock
from sinergi.core.models import TaskRun
from sinergi.core.services import RunRecorder, audit_log, taskrun_create
from sinergi.elections.models import Election, PollingStation

from . import compute
from .choices import IndicatorScope, ModelStatus, ObservationSource, ValueType
from .models import Indicator, Observation, RiskInput, RiskModel, RiskModelWeight
from .permissions import code_in, jurisdiction_codes, require

DATA = Path(__file__).resolve().parent.parent / "data" / "risk"
CATALOG_FILE = DATA / "indicators.csv"
DEFAULT_MODEL_FILE = DATA / "default_model.json"
DEFAULT_ELECTION_CODE = "pilkada-2024"
RECOMPUTE_KIND = "risk_recompute"
IMPORT_KIND = "risk_observation_import"
DEMO_DATE = dt.date(2024, 11, 1)
DEMO_NOTE = "data demo (sintetis, dibangkitkan ulang dengan benih tetap)"
#: seconds a queued recompute waits for more changes (debounce); override with settings.RISK_RECOMPUTE_DELAY_S
RECOMPUTE_DELAY_S = 10
#: a queued recompute older than this is presumed lost (worker down, enqueue rolled back) and not waited for
STALE_QUEUED_S = 600

MODEL_FIELDS = ("name", "notes", "missing_rule", "min_coverage", "tps_cut_rawan", "tps_cut_sangat_rawan",
                "region_cut_sedang", "region_cut_tinggi", "incident_radius_km", "incident_window_days",
                "incident_half_life_days", "incident_cap", "incident_weight")


def default_election() -> Election | None:
    return Election.objects.filter(code=DEFAULT_ELECTION_CODE).first() or Election.objects.first()


# ------------------------------------------------------------------------------------------------ catalog

def _next_slot() -> int:
    last = Indicator.objects.aggregate(m=Max("slot"))["m"]
    return 0 if last is None else last + 1


def read_catalog(path: Path = CATALOG_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for order, r in enumerate(rows, start=1):
        r["cap"] = float(r["cap"])
        r["default_weight"] = float(r["default_weight"])
        r["direction"] = int(r["direction"])
        r["order"] = order
    return rows


@transaction.atomic
def catalog_load(*, actor=None) -> dict[str, int]:
    """Add the shipped catalog's indicators that are missing. Existing ones (maybe edited by analysts) stay."""
    existing = set(Indicator.objects.values_list("code", flat=True))
    slot = _next_slot()
    created = []
    for r in read_catalog():
        if r["code"] in existing:
            continue
        created.append(Indicator(slot=slot, **r))
        slot += 1
    Indicator.objects.bulk_create(created)
    if created:
        audit_log(actor=actor, action="risk.catalog_load", object_type="risk.indicator",
                  data={"created": [i.code for i in created]})
    return {"created": len(created), "total": Indicator.objects.count()}


def _clean_indicator(fields: dict[str, Any]) -> None:
    if fields.get("value_type") not in (None, *ValueType.values):
        raise ValidationError({"value_type": "Jenis nilai tidak dikenal (unknown value type)."})
    if fields.get("scope") not in (None, *IndicatorScope.values):
        raise ValidationError({"scope": "Cakupan harus tps atau region (unknown scope)."})
    if "direction" in fields and int(fields["direction"]) not in (1, -1):
        raise ValidationError({"direction": "Arah harus 1 atau -1."})
    if "default_weight" in fields and not (math.isfinite(float(fields["default_weight"]))
                                           and float(fields["default_weight"]) >= 0):
        raise ValidationError({"default_weight": "Bobot harus angka ≥ 0."})
    if "cap" in fields and not float(fields["cap"]) > 0:
        raise ValidationError({"cap": "Batas jenuh harus > 0."})


@transaction.atomic
def indicator_create(*, actor, **fields) -> Indicator:
    require(actor, "risk.catalog.edit")
    _clean_indicator(fields)
    if Indicator.objects.filter(code=fields.get("code")).exists():
        raise ValidationError({"code": "Kode indikator sudah dipakai (code already used)."})
    ind = Indicator(slot=_next_slot(), **fields)
    ind.full_clean()
    ind.save()
    audit_log(actor=actor, action="risk.indicator_create", obj=ind, data={"code": ind.code})
    return ind


EDITABLE_INDICATOR_FIELDS = ("name", "name_en", "group", "group_name", "group_name_en", "value_type", "cap",
                             "default_weight", "direction", "source_agency", "reason_text", "description",
                             "order", "is_active")


@transaction.atomic
def indicator_update(*, actor, indicator: Indicator, **fields) -> Indicator:
    """Edit an indicator. Models already published keep their own weights, so history is unchanged."""
    require(actor, "risk.catalog.edit")
    _clean_indicator(fields)
    changed = {}
    for key, value in fields.items():
        if key not in EDITABLE_INDICATOR_FIELDS:
            raise ValidationError({key: "Kolom ini tidak dapat diubah (not editable)."})
        if getattr(indicator, key) != value:
            changed[key] = [getattr(indicator, key), value]
            setattr(indicator, key, value)
    if changed:
        indicator.full_clean()
        indicator.save()
        audit_log(actor=actor, action="risk.indicator_update", obj=indicator, data={"changed": changed})
    return indicator


# ------------------------------------------------------------------------------------------------ models

def _default_params() -> dict[str, Any]:
    return json.loads(DEFAULT_MODEL_FILE.read_text(encoding="utf-8"))


@transaction.atomic
def risk_seed_defaults(*, actor=None, election: Election | None = None) -> dict[str, Any]:
    """Catalog plus a published default model (v1) for the election. Idempotent; safe to call on every start."""
    catalog = catalog_load(actor=actor)
    election = election or default_election()
    if election is None:
        return {"catalog": catalog, "model": None}
    model = RiskModel.objects.filter(election=election).order_by("-version").first()
    created = False
    if model is None:
        params = _default_params()
        model = RiskModel.objects.create(election=election, version=1, status=ModelStatus.DRAFT, **params)
        RiskModelWeight.objects.bulk_create([
            RiskModelWeight(model=model, indicator=ind, weight=ind.default_weight, cap=ind.cap)
            for ind in Indicator.objects.filter(is_active=True)])
        audit_log(actor=actor, action="risk.model_create", obj=model, data={"version": 1, "default": True})
        _publish(actor, model, request_recompute=False)
        created = True
    return {"catalog": catalog, "model": model.pk, "model_created": created}


@transaction.atomic
def model_draft_create(*, actor, election: Election, based_on: RiskModel | None = None,
                       name: str = "") -> RiskModel:
    """A new draft version, copying `based_on` (default: the published model) with its weights."""
    require(actor, "risk.model.edit")
    base = based_on or published_model(election)
    version = (RiskModel.objects.filter(election=election).aggregate(m=Max("version"))["m"] or 0) + 1
    if base is not None:
        params = {f: getattr(base, f) for f in MODEL_FIELDS}
    else:
        params = _default_params()
    if name:
        params["name"] = name
    params["notes"] = ""
    model = RiskModel.objects.create(election=election, version=version, based_on=base, created_by=_user(actor),
                                     status=ModelStatus.DRAFT, **params)
    weights = {w.indicator_id: (w.weight, w.cap) for w in base.weights.all()} if base else {}
    RiskModelWeight.objects.bulk_create([
        RiskModelWeight(model=model, indicator=ind, weight=weights.get(ind.pk, (ind.default_weight, ind.cap))[0],
                        cap=weights.get(ind.pk, (ind.default_weight, ind.cap))[1])
        for ind in Indicator.objects.filter(is_active=True)])
    audit_log(actor=actor, action="risk.model_create", obj=model,
              data={"version": version, "based_on": base.pk if base else None})
    return model


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _check_model_params(params: dict[str, Any]) -> None:
    errors = {}
    rawan, sangat = params.get("tps_cut_rawan"), params.get("tps_cut_sangat_rawan")
    if rawan is not None and sangat is not None and not (0 <= rawan < sangat <= 100):
        errors["tps_cut_sangat_rawan"] = "Titik potong TPS harus naik: 0 ≤ rawan < sangat rawan ≤ 100."
    sedang, tinggi = params.get("region_cut_sedang"), params.get("region_cut_tinggi")
    if sedang is not None and tinggi is not None and not (0 <= sedang < tinggi <= 100):
        errors["region_cut_tinggi"] = "Titik potong wilayah harus naik: 0 ≤ sedang < tinggi ≤ 100."
    if not 0 <= params.get("min_coverage", 0.5) <= 1:
        errors["min_coverage"] = "Cakupan minimum antara 0 dan 1."
    if not 0 <= params.get("incident_weight", 0.3) <= 1:
        errors["incident_weight"] = "Bobot insiden antara 0 dan 1."
    for key in ("incident_radius_km", "incident_half_life_days", "incident_cap"):
        if key in params and not params[key] > 0:
            errors[key] = "Harus lebih dari 0."
    if params.get("incident_window_days", 0) < 0:
        errors["incident_window_days"] = "Tidak boleh negatif."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def model_update(*, actor, model: RiskModel, weights: dict[str, tuple[float, float] | float] | None = None,
                 **params) -> RiskModel:
    """Change a draft's parameters and weights ({indicator code: weight or (weight, cap)})."""
    require(actor, "risk.model.edit")
    original, model = model, RiskModel.objects.select_for_update().get(pk=model.pk)
    if not model.is_editable:
        raise ValidationError({"status": "Model yang sudah terbit tidak dapat diubah; buat versi baru "
                                         "(a published model never changes; create a new version)."})
    unknown = set(params) - set(MODEL_FIELDS)
    if unknown:
        raise ValidationError({k: "Kolom tidak dikenal (unknown field)." for k in unknown})
    merged = {f: getattr(model, f) for f in MODEL_FIELDS} | params
    _check_model_params(merged)
    changed: dict[str, Any] = {}
    for key, value in params.items():
        if getattr(model, key) != value:
            changed[key] = [getattr(model, key), value]
            setattr(model, key, value)
    model.save()
    if weights:
        rows = {w.indicator.code: w for w in model.weights.select_related("indicator")}
        for code, value in weights.items():
            w, cap = (value if isinstance(value, (tuple, list)) else (value, None))
            if code not in rows:
                ind = Indicator.objects.filter(code=code).first()
                if ind is None:
                    raise ValidationError({"weights": f"Indikator '{code}' tidak ada (unknown indicator)."})
                rows[code] = RiskModelWeight(model=model, indicator=ind, weight=0, cap=ind.cap)
            w = float(w)
            if not (math.isfinite(w) and 0 <= w <= 1e6):
                raise ValidationError({"weights": f"Bobot {code} harus angka 0–1.000.000."})
            row = rows[code]
            new_cap = float(cap) if cap is not None else row.cap
            if new_cap <= 0:
                raise ValidationError({"weights": f"Batas jenuh {code} harus > 0."})
            if (row.weight, row.cap) != (w, new_cap) or row.pk is None:
                changed[f"weight:{code}"] = [row.weight, w]
                row.weight, row.cap = w, new_cap
                row.save()
    if changed:
        audit_log(actor=actor, action="risk.model_update", obj=model, data={"changed": changed})
    original.refresh_from_db()
    return original


def published_model(election: Election | None) -> RiskModel | None:
    if election is None:
        return None
    return RiskModel.objects.filter(election=election, status=ModelStatus.PUBLISHED).order_by("-version").first()


def _publish(actor, model: RiskModel, *, request_recompute: bool = True) -> RiskModel:
    specs = compute.spec_for(model)  # refuses a model the engine cannot score
    if specs.tps is None:
        raise ValidationError({"weights": "Model butuh minimal satu indikator TPS berbobot > 0."})
    previous = list(RiskModel.objects.filter(election=model.election, status=ModelStatus.PUBLISHED)
                    .exclude(pk=model.pk))
    RiskModel.objects.filter(pk__in=[p.pk for p in previous]).update(status=ModelStatus.RETIRED)
    model.status = ModelStatus.PUBLISHED
    model.published_by = _user(actor)
    model.published_at = clock.now()
    model.save(update_fields=["status", "published_by", "published_at"])
    audit_log(actor=actor, action="risk.model_publish", obj=model,
              data={"version": model.version, "retired": [p.version for p in previous]})
    if request_recompute:
        risk_recompute_request(election=model.election, actor=actor, reason=f"model v{model.version} terbit")
    return model


@transaction.atomic
def model_publish(*, actor, model: RiskModel) -> RiskModel:
    """Publish a draft: records who and when, retires the previous version, queues a recompute."""
    require(actor, "risk.model.publish")
    model = RiskModel.objects.select_for_update().get(pk=model.pk)
    if model.status != ModelStatus.DRAFT:
        raise ValidationError({"status": "Hanya draf yang dapat diterbitkan (only a draft can be published)."})
    return _publish(actor, model)


# ------------------------------------------------------------------------------------------------ observations

def parse_value(indicator: Indicator, raw: Any) -> float:
    """A raw value for an indicator as a float, or ValidationError with a message in Bahasa Indonesia."""
    from sinergi.elections.importers import NO_VALUES, YES_VALUES, _norm_word, _parse_float

    if indicator.value_type == ValueType.YES_NO:
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        word = _norm_word(str(raw))
        if word in YES_VALUES:
            return 1.0
        if word in NO_VALUES:
            return 0.0
        raise ValidationError(f"Nilai '{raw}' untuk {indicator.code} harus ya atau tidak (must be yes or no).")
    value = _parse_float(raw)
    if value is None:
        raise ValidationError(f"Nilai '{raw}' untuk {indicator.code} bukan angka (not a number).")
    if indicator.value_type == ValueType.COUNT and (value < 0 or not float(value).is_integer()):
        raise ValidationError(f"Nilai {value} untuk {indicator.code} harus bilangan bulat ≥ 0 (count).")
    if indicator.value_type == ValueType.SHARE and not 0 <= value <= 1:
        raise ValidationError(f"Nilai {value} untuk {indicator.code} harus antara 0 dan 1 (share).")
    if indicator.value_type == ValueType.INDEX and not 0 <= value <= 100:
        raise ValidationError(f"Nilai {value} untuk {indicator.code} harus antara 0 dan 100 (index).")
    return float(value)


def check_target_scope(actor, *, polling_station: PollingStation | None, region=None) -> None:
    codes = jurisdiction_codes(actor)
    target = polling_station.village_id if polling_station is not None else region.code
    if not code_in(target, codes):
        raise ValidationError({"target": "TPS/wilayah ini di luar wilayah hukum satuan Anda "
                                         "(outside your unit's jurisdiction)."})


@transaction.atomic
def observation_create(*, actor, indicator: Indicator, value: Any, observed_on: dt.date,
                       polling_station: PollingStation | None = None, region=None, evidence_text: str = "",
                       evidence_file=None, source: str = ObservationSource.FORM) -> Observation:
    """Record one observation (history is kept; the latest by date counts) and queue a recompute."""
    require(actor, "risk.observe")
    if (polling_station is None) == (region is None):
        raise ValidationError({"target": "Pilih satu TPS atau satu wilayah (one TPS or one region)."})
    expected = IndicatorScope.TPS if polling_station is not None else IndicatorScope.REGION
    if indicator.scope != expected:
        raise ValidationError({"indicator": f"Indikator {indicator.code} untuk {indicator.get_scope_display()}, "
                                            "bukan untuk sasaran ini (indicator scope mismatch)."})
    if not indicator.is_active:
        raise ValidationError({"indicator": "Indikator tidak aktif (inactive indicator)."})
    check_target_scope(actor, polling_station=polling_station, region=region)
    if observed_on > clock.localdate():
        raise ValidationError({"observed_on": "Tanggal pengamatan tidak boleh di masa depan (date in the future)."})
    try:
        number = parse_value(indicator, value)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from exc
    election = polling_station.election if polling_station is not None else default_election()
    obs = Observation.objects.create(
        election=election, indicator=indicator, polling_station=polling_station, region=region, value=number,
        observed_on=observed_on, unit=getattr(_user(actor), "unit", None), reported_by=_user(actor),
        evidence_text=evidence_text or "", source=source)
    if evidence_file is not None:
        obs.evidence_file.save(evidence_file.name, evidence_file, save=True)
    if polling_station is not None:
        risk_inputs_rebuild(election=election, polling_station_ids=[polling_station.pk])
    audit_log(actor=actor, action="risk.observation_create", obj=obs, data={
        "indicator": indicator.code, "value": number, "observed_on": observed_on.isoformat(),
        "tps": polling_station.code if polling_station else None, "region": region.code if region else None,
        "source": source})
    risk_recompute_request(election=election, actor=actor, reason="pengamatan baru")
    return obs


def risk_inputs_rebuild(*, election: Election, polling_station_ids: list[int] | None = None) -> int:
    """Rebuild the packed latest values of some (or all) TPS of an election from the observation history."""
    slots = dict(Indicator.objects.filter(scope=IndicatorScope.TPS).values_list("pk", "slot"))
    n_slots = compute._slot_count()
    qs = Observation.objects.filter(election=election, polling_station__isnull=False)
    if polling_station_ids is not None:
        qs = qs.filter(polling_station_id__in=polling_station_ids)
    latest: dict[int, dict[int, float]] = {}
    demo: dict[int, bool] = {}
    for ps, ind, value, is_demo in qs.order_by("observed_on", "id").values_list(
            "polling_station_id", "indicator_id", "value", "is_demo").iterator(chunk_size=20000):
        if ind in slots:
            latest.setdefault(ps, {})[slots[ind]] = value
            demo[ps] = demo.get(ps, False) or is_demo
    with transaction.atomic():
        stale = RiskInput.objects.filter(election=election)
        if polling_station_ids is not None:
            stale = stale.filter(polling_station_id__in=polling_station_ids)
        stale.delete()
        RiskInput.objects.bulk_create([
            RiskInput(election=election, polling_station_id=ps, values=compute.pack(vals, n_slots),
                      is_demo=demo.get(ps, False)) for ps, vals in latest.items()], batch_size=2000)
    return len(latest)


# ------------------------------------------------------------------------------------------------ demo data

def risk_demo_observations(*, election: Election | None = None, actor=None, seed: int | None = None,
                           force: bool = False) -> dict[str, Any]:
    """Generate the demo observations of the election's TPS (and IKP values of its regencies), flagged demo.

    Idempotent: does nothing when demo observations exist, unless `force` (then they are replaced).
    Real observations are never touched.
    """
    from . import demo

    election = election or default_election()
    if election is None:
        return {"skipped": True, "reason": "no election"}
    risk_seed_defaults(actor=actor, election=election)
    demo_qs = Observation.objects.filter(election=election, is_demo=True)
    if demo_qs.exists() and not force:
        return {"skipped": True, "observations": demo_qs.count()}
    seed = demo.DEFAULT_SEED if seed is None else seed
    rows = demo.read_demo_rows()
    indicators = {i.code: i for i in Indicator.objects.filter(scope=IndicatorScope.TPS)}
    rows = [r for r in rows if r.code in indicators]
    tps = list(PollingStation.objects.filter(election=election).order_by("code")
               .values_list("id", "district_code", "regency_code"))
    values, observed = demo.generate([t[1] for t in tps], [t[2] for t in tps],
                                     [indicators[r.code].value_type for r in rows], rows, seed=seed)
    now = clock.now()
    obs_rows = []
    ind_ids = [indicators[r.code].pk for r in rows]
    for i, (ps, _d, _r) in enumerate(tps):
        if not observed[i]:
            continue
        vals = values[i].tolist()
        for j, ind_id in enumerate(ind_ids):
            obs_rows.append((election.pk, ind_id, ps, None, vals[j], DEMO_DATE, DEMO_NOTE,
                             ObservationSource.DEMO, True, now, ""))
    regencies = list(PollingStation.objects.filter(election=election).order_by("regency_code")
                     .values_list("regency_code", flat=True).distinct())
    region_inds = list(Indicator.objects.filter(scope=IndicatorScope.REGION).order_by("order"))
    if region_inds and regencies:
        rv = demo.region_values(regencies, len(region_inds), seed=seed)
        for i, code in enumerate(regencies):
            for j, ind in enumerate(region_inds):
                obs_rows.append((election.pk, ind.pk, None, code, float(rv[i, j]), DEMO_DATE, DEMO_NOTE,
                                 ObservationSource.DEMO, True, now, ""))
    with transaction.atomic():
        deleted = demo_qs.delete()[0] if force else 0
        compute._bulk_insert(Observation._meta.db_table, [
            "election_id", "indicator_id", "polling_station_id", "region_id", "value", "observed_on",
            "evidence_text", "source", "is_demo", "created_at", "evidence_file"], obs_rows)
        n_inputs = risk_inputs_rebuild(election=election)
        audit_log(actor=actor, action="risk.demo_observations", object_type="elections.election",
                  object_id=election.pk, data={"seed": seed, "observations": len(obs_rows), "deleted": deleted,
                                               "tps_observed": int(observed.sum()), "demo": True})
    prevalence = {r.code: round(float((values[observed, j] > 0).mean()), 4) for j, r in enumerate(rows)}
    return {"skipped": False, "seed": seed, "observations": len(obs_rows), "tps_observed": int(observed.sum()),
            "tps_unobserved": int((~observed).sum()), "inputs": n_inputs, "prevalence": prevalence}


# ------------------------------------------------------------------------------------------------ incidents

SEVERITY_WORDS = {"low": 1.0, "rendah": 1.0, "ringan": 1.0, "medium": 2.0, "sedang": 2.0, "high": 3.0,
                  "tinggi": 3.0, "berat": 3.0, "critical": 4.0, "kritis": 4.0}


def _incident_points(election, now: dt.datetime | None = None) -> tuple[np.ndarray, ...]:
    """(lat, lng, age_days, severity) of the incidents app's incidents; empty arrays while it has none.

    Pluggable on purpose: the incidents app is built separately. Reads `lat`, `lng`, `occurred_at` and
    `severity` (a number, or a word such as rendah/sedang/tinggi) from `incidents.Incident` when that model
    exists, limited to the election when the model has an `election` field.
    """
    from django.apps import apps

    empty = (np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    try:
        Incident = apps.get_model("incidents", "Incident")
    except LookupError:
        return empty
    names = {f.name for f in Incident._meta.get_fields()}
    if not {"lat", "lng", "occurred_at"} <= names:
        return empty
    qs = Incident.objects.filter(lat__isnull=False, lng__isnull=False, occurred_at__isnull=False)
    if "status" in names:
        # Only incidents staff have verified count: unverified, rejected and merged-away ones do not.
        qs = qs.exclude(status__in=["reported", "rejected", "merged"])
    if "election" in names and election is not None:
        qs = qs.filter(election=election)
    fields = ["lat", "lng", "occurred_at"] + (["severity"] if "severity" in names else [])
    rows = list(qs.values_list(*fields))
    if not rows:
        return empty
    now = now or clock.now()
    lat = np.array([r[0] for r in rows], dtype=np.float64)
    lng = np.array([r[1] for r in rows], dtype=np.float64)
    age = np.array([(now - r[2]).total_seconds() / 86400.0 for r in rows], dtype=np.float64)
    sev = []
    for r in rows:
        s = r[3] if len(r) > 3 else 1.0
        if isinstance(s, (int, float)):
            sev.append(max(float(s), 0.0))
        else:
            sev.append(SEVERITY_WORDS.get(str(s).strip().lower(), 1.0))
    return lat, lng, age, np.array(sev, dtype=np.float64)


# ------------------------------------------------------------------------------------------------ recompute

def _recompute_delay() -> float:
    return float(getattr(settings, "RISK_RECOMPUTE_DELAY_S", RECOMPUTE_DELAY_S))


def risk_recompute_request(*, election: Election | None, actor=None, reason: str = "",
                           enqueue: bool = True) -> TaskRun | None:
    """Queue a recompute of the election's published model, debounced: when a recompute is already queued
    (not yet running) nothing new is queued, the reason is just added to it. Called after observations,
    model publication and (by the incidents app) incident changes."""
    election = election or default_election()
    if election is None or published_model(election) is None:
        return None
    with transaction.atomic():
        pending = (TaskRun.objects.select_for_update().filter(
            kind=RECOMPUTE_KIND, status=TaskRun.Status.QUEUED, parameters__election_id=election.pk,
            created_at__gte=timezone.now() - dt.timedelta(seconds=STALE_QUEUED_S))
            .order_by("id").first())
        if pending is not None:
            reasons = list(pending.parameters.get("reasons", []))
            if reason and reason not in reasons and len(reasons) < 50:
                reasons.append(reason)
                TaskRun.objects.filter(pk=pending.pk).update(parameters={**pending.parameters, "reasons": reasons})
            return pending
        run = taskrun_create(kind=RECOMPUTE_KIND, actor=actor, parameters={
            "election_id": election.pk, "election": election.code, "reasons": [reason] if reason else []})
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from .tasks import run_risk_recompute

    task = run_risk_recompute
    delay = _recompute_delay()
    backend = task.get_backend()
    if delay > 0 and getattr(backend, "supports_defer", False):
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    task.enqueue(run_id)


def risk_recompute_execute(run: TaskRun, *, model: RiskModel | None = None) -> dict[str, Any]:
    """Run a queued recompute (idempotent: a finished run is not run again)."""
    run.refresh_from_db()
    if run.status in (TaskRun.Status.SUCCEEDED, TaskRun.Status.FAILED, TaskRun.Status.RUNNING):
        return run.result
    election = Election.objects.get(pk=run.parameters["election_id"])
    with RunRecorder(run) as recorder:
        model = model or published_model(election)
        if model is None:
            raise ValidationError("Belum ada model kerawanan yang terbit (no published model).")
        from django.utils.translation import gettext as _

        from sinergi.core.progress import steps

        at = steps(run, [_("Menghitung skor setiap TPS"), _("Menyusun hasil penilaian"),
                         _("Merangkum per wilayah"), _("Menyimpan penilaian")])
        summary = compute.recompute_store(model, on_step=at)
        run.result = summary
        recorder.log(f"model v{model.version}: {summary['tps']} TPS, tingkat {summary['tiers']}, "
                     f"{summary['seconds']['total']} s")
    run.refresh_from_db()
    return run.result


def risk_recompute(*, actor=None, election: Election | None = None, model: RiskModel | None = None,
                   system: bool = False) -> TaskRun:
    """Recompute now (synchronously) with a run record: the command line and the 'hitung ulang' button."""
    if not (system and actor is None):
        require(actor, "risk.recompute")
    election = election or (model.election if model else default_election())
    if election is None:
        raise ValidationError("Belum ada pemilihan (no election).")
    run = taskrun_create(kind=RECOMPUTE_KIND, actor=actor, parameters={
        "election_id": election.pk, "election": election.code, "reasons": ["manual"],
        "model_id": model.pk if model else None})
    risk_recompute_execute(run, model=model)
    run.refresh_from_db()
    return run




def file_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
