"""The only writers of deployment records: patterns, plans (scenarios) and their results.

``plan_run`` creates a plan and its run record and enqueues ``run_plan_task`` (after commit);
``plan_execute`` gathers the inputs from the database, runs the engine (sinergi.engine.deployment.plan) and
stores the results with the metrics, the manual baseline and the input hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit, UnitStrength
from sinergi.core.models import TaskRun
from sinergi.core.progress import steps
from sinergi.core.services import RunRecorder, audit_log, taskrun_create, taskrun_link
from sinergi.elections.models import Election, PollingStation
from sinergi.engine.deployment.patterns import TIERS, Pattern
from sinergi.engine.deployment.plan import Place, PlanInput, PlanOutput, PlanParams, Source, run_plan
from sinergi.regions.models import Region

from . import geo
from .choices import SCENARIOS, PlanStatus, ReserveKind, TierSource
from .models import (
    GuardAssignment,
    GuardGroup,
    Plan,
    PlanApproval,
    PlanUnit,
    Reinforcement,
    Reserve,
    SecurityPattern,
)
from .permissions import can_run_plans

PLAN_KIND = "deployment.plan"
PLACEHOLDER_LABEL = "tingkat kerawanan sementara (belum ada penilaian)"

DEFAULT_PARAMETERS: dict[str, Any] = {
    "radius_min": 15.0,
    "cap_share": 2 / 3,
    "reserve_k": 10,
    "reserve_objective": "both",
    "reserve_team_size": 10,
    "tni_share": 2 / 3,
    "cancelled_links": [],
    "rawan_uplift": 0.0,
    "brimob_withdrawn": 0,
    "seed": 0,
    "time_limit_s": 1.5,
    "group_refine_s": 3.0,  # LP bound + CP-SAT on guard-group cells with a gap (time budget, seconds)
    # Expected wait for sailings: None = travel_assumptions.yaml (0.5 = half the headway of each sea link).
    "schedule_wait_factor": None,
    # Policy order of BKO sources, as minutes per person added in the flow: TNI only where Polri sources
    # cannot cover (TNI acts as BKO on Polri's request); at equal travel time Brimob before Polda HQ staff.
    "source_penalty_min": {"brimob": 0, "polda": 1, "polres": 0, "tni": 10000},
}


def scenario_parameters(scenario: str, overrides: dict | None = None) -> dict[str, Any]:
    params = dict(DEFAULT_PARAMETERS)
    params.update(SCENARIOS.get(scenario, {"changes": {}})["changes"])
    params.update(overrides or {})
    return params


# -- patterns -----------------------------------------------------------------------------------------------
@transaction.atomic
def pattern_set(*, actor, unit: Unit, tier: str, officers: int, tps: int, linmas: int, pairs: bool = True,
                source: str = "") -> SecurityPattern:
    """Set a Polres' own pattern for a tier (overrides the shipped default).

    Planners (plan.run) set patterns for their own Polres; Polda planners and admins for any Polres.
    `actor=None` is the system (data loading)."""
    if actor is not None:
        from .selectors import pattern_units

        if not can_run_plans(actor) or unit not in pattern_units(user=actor):
            raise PermissionDenied("not allowed: deployment.pattern.set")
    if tier not in TIERS or officers < 1 or tps < 1 or linmas < 0:
        raise ValueError("pola tidak valid")
    if pairs and officers < 2:
        raise ValueError("pola berpasangan butuh paling sedikit 2 personel (officers in pairs: at least 2)")
    obj, _ = SecurityPattern.objects.update_or_create(
        unit=unit, tier=tier, defaults={"officers": officers, "tps": tps, "linmas": linmas, "pairs": pairs,
                                        "source": source})
    audit_log(actor=actor, action="deployment.pattern.set", obj=obj,
              data={"unit": unit.code, "tier": tier, "pattern": f"{officers}-{tps}-{linmas}", "pairs": pairs})
    return obj


def pattern_parts(polres: list[Unit]) -> tuple[list[list[Pattern]], dict[str, dict[str, dict]]]:
    """Pattern per Polres and tier: the Polres' own (database), else patterns.csv for its regency, else default;
    with the parts a page shows per Polres code and tier: `pattern` ("2-1-2"), `pairs` (officers in pairs) and
    `source` (a citation kept in its own Indonesian words)."""
    shipped = geo.default_patterns()
    own = {(p.unit_id, p.tier): p for p in SecurityPattern.objects.filter(unit__in=polres)}
    out: list[list[Pattern]] = []
    parts: dict[str, dict[str, dict]] = {}
    for u in polres:
        regency = u.code.removeprefix("POLRES-")
        row: list[Pattern] = []
        parts[u.code] = {}
        for tier in TIERS:
            if (u.id, tier) in own:
                sp = own[(u.id, tier)]
                pat, src = Pattern(sp.officers, sp.tps, sp.linmas, sp.pairs), sp.source or "pola Polres"
            elif (regency, tier) in shipped:
                pat, src = shipped[(regency, tier)]
            else:
                pat, src = shipped[("default", tier)]
            row.append(pat)
            parts[u.code][tier] = {"pattern": pat.label(), "pairs": bool(pat.pairs), "source": src}
        out.append(row)
    return out, parts


def effective_patterns(polres: list[Unit]) -> tuple[list[list[Pattern]], dict[str, dict[str, str]]]:
    """`pattern_parts` with each cell as the one-line label stored with plans (it feeds the plan's input hash):
    "2-1-2 (berpasangan) — source"."""
    out, parts = pattern_parts(polres)
    labels = {code: {tier: f"{c['pattern']}{' (berpasangan)' if c['pairs'] else ''} — {c['source']}"
                     for tier, c in tiers.items()} for code, tiers in parts.items()}
    return out, labels


# -- tiers --------------------------------------------------------------------------------------------------
def _stable_rank(code: str) -> int:
    return int(hashlib.sha256(code.encode()).hexdigest()[:12], 16)


def tps_tiers(election: Election, tps: list[tuple[int, str, bool]]) -> tuple[dict[int, str], str]:
    """Tier per TPS id from the vulnerability app when it has data, else the labelled placeholder."""
    risk: dict[int, str] = {}
    try:
        from sinergi.risk.selectors import tps_tier_map  # provided by the vulnerability app

        risk = dict(tps_tier_map(election=election) or {})
    except (ImportError, AttributeError):
        risk = {}
    special = {pk for pk, _, sp in tps if sp}
    if risk:
        out = {pk: ("khusus" if pk in special else risk.get(pk, "kurang_rawan")) for pk, _, _ in tps}
        return out, TierSource.RISK
    cfg = geo.placeholder_config()
    ranked = sorted((pk for pk, _, sp in tps if not sp), key=lambda pk: _stable_rank(codes[pk])) if (
        codes := {pk: code for pk, code, _ in tps}) else []
    n = len(tps)
    n_sr = round(n * float(cfg["sangat_rawan_share"]))
    n_r = round(n * float(cfg["rawan_share"]))
    out = {pk: "khusus" for pk in special}
    for i, pk in enumerate(ranked):
        out[pk] = "sangat_rawan" if i < n_sr else ("rawan" if i < n_sr + n_r else "kurang_rawan")
    return out, TierSource.PLACEHOLDER


def _apply_uplift(tiers: dict[int, str], codes: dict[int, str], uplift: float) -> None:
    """Scenario "+x% rawan TPS": promote that many kurang rawan TPS (stable order) to rawan."""
    if uplift <= 0:
        return
    n = math.ceil(sum(1 for t in tiers.values() if t == "rawan") * uplift)
    candidates = sorted((pk for pk, t in tiers.items() if t == "kurang_rawan"),
                        key=lambda pk: _stable_rank("uplift:" + codes[pk]))
    for pk in candidates[:n]:
        tiers[pk] = "rawan"


# -- plans --------------------------------------------------------------------------------------------------
@transaction.atomic
def plan_run(*, actor, election: Election, name: str = "", scenario: str = "dasar",
             parameters: dict | None = None, enqueue: bool = True) -> Plan:
    """Create a plan (scenario) with its run record and queue the computation."""
    params = scenario_parameters(scenario, parameters)
    label = str(SCENARIOS.get(scenario, {"label": scenario})["label"])
    plan = Plan.objects.create(
        name=name or label, scenario=scenario, election=election, parameters=params,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        owner_unit=getattr(actor, "unit", None) if getattr(actor, "is_authenticated", False) else None,
    )
    run = taskrun_create(kind=PLAN_KIND, actor=actor, parameters={"plan": plan.pk, "scenario": scenario, **params})
    plan.task_run = run
    plan.save(update_fields=["task_run"])
    audit_log(actor=actor, action="deployment.plan.create", obj=plan, data={"scenario": scenario, "name": plan.name})
    if enqueue:
        from .tasks import run_plan_task

        # Link the run record to its task row, so the tasks page can cancel it while it is still queued.
        transaction.on_commit(lambda: taskrun_link(run, run_plan_task.enqueue(plan.pk)))
    return plan


@dataclass
class Inputs:
    inp: PlanInput
    polres: list[Unit]
    tps_ids: np.ndarray
    tps_district: list[str]
    districts: list[str]
    district_names: dict[str, str]
    tier_source: str
    pattern_labels: dict[str, dict[str, str]]
    source_units: list[Unit | None]
    sources: list[Source]
    sites: list[Region]
    model: Any
    lm: Any
    input_hash: str


def _strength(units: list[Unit], ptype: str) -> dict[int, int]:
    rows = UnitStrength.objects.filter(unit__in=units, personnel_type=ptype).values_list("unit_id", "count")
    return dict(rows)


def _land_masses(province_code: str, points: list[tuple[float, float]] = ()):
    if province_code == "53":
        return geo.ntt_land_masses()
    if province_code not in _LM_CACHE:
        texts = list(Region.objects.filter(level="district", province_code=province_code)
                     .exclude(geometry="").values_list("geometry", flat=True))
        if not texts:
            # No boundaries ship for this province (only NTT's do): one land mass around its TPS and region
            # points, so no sea crossing is modelled inside it (docs/provinces.md). Not cached: TPS may change.
            import shapely

            hull = shapely.MultiPoint([(lng, lat) for lat, lng in points]).convex_hull.buffer(0.05)
            return geo.land_masses_from_geojson([shapely.to_geojson(hull)])
        _LM_CACHE[province_code] = geo.land_masses_from_geojson(texts)
    return _LM_CACHE[province_code]


_LM_CACHE: dict[str, Any] = {}


def _province_unit(qs, province: str) -> Unit | None:
    """The unit of ``qs`` whose jurisdiction is the province; the only one when none has it (single province)."""
    own = qs.filter(jurisdiction__code=province).first()
    if own is not None:
        return own
    return qs.first() if qs.count() == 1 else None


def gather_inputs(election: Election, params: dict[str, Any]) -> Inputs:
    province = election.province_id if hasattr(election, "province_id") else "53"
    province = str(province or "53")
    # The Polres of this election's province (other provinces may be loaded: docs/provinces.md).
    polres = list(Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.REGENCY,
                                      code__startswith="POLRES-", jurisdiction__province_code=province)
                  .distinct().order_by("code"))
    polres_of_regency = {}
    for i, u in enumerate(polres):
        for code in u.jurisdiction.values_list("code", flat=True):
            polres_of_regency[code] = i
    rows = list(PollingStation.objects.filter(election=election).order_by("id").values_list(
        "id", "code", "lat", "lng", "district_code", "regency_code", "special_location"))
    rows = [r for r in rows if r[5] in polres_of_regency]
    regions = {r.code: r for r in Region.objects.filter(province_code=province, level__in=["regency", "district"])
               .only("code", "name", "lat", "lng", "level")}
    tiers, tier_source = tps_tiers(election, [(r[0], r[1], r[6]) for r in rows])
    codes = {r[0]: r[1] for r in rows}
    _apply_uplift(tiers, codes, float(params.get("rawan_uplift") or 0))
    lat = np.array([r[2] if r[2] is not None else regions[r[4]].lat for r in rows], dtype=np.float64)
    lng = np.array([r[3] if r[3] is not None else regions[r[4]].lng for r in rows], dtype=np.float64)
    lm = _land_masses(province, [(float(a), float(b)) for a, b in zip(lat, lng, strict=True)
                                 if not (math.isnan(a) or math.isnan(b))]
                      + [(r.lat, r.lng) for r in regions.values() if r.lat is not None])
    cancelled = frozenset(params.get("cancelled_links") or [])
    wait = params.get("schedule_wait_factor")
    model = geo.travel_model(lm, cancelled=cancelled,
                             wait_factor=geo.default_wait_factor() if wait is None else float(wait))
    districts = sorted({r[4] for r in rows})
    d_index = {d: i for i, d in enumerate(districts)}
    tier_index = {t: i for i, t in enumerate(TIERS)}
    patterns, labels = effective_patterns(polres)

    # A kabupaten/kota without a point (no centroid ships outside NTT, none derived without its TPS) sits at the
    # centre of the election's TPS (docs/provinces.md).
    centre = (float(np.nanmean(lat)), float(np.nanmean(lng))) if len(rows) else (0.0, 0.0)

    def place_of(code: str) -> Place:
        reg = regions.get(code)
        la, ln = (reg.lat, reg.lng) if reg is not None and reg.lat is not None else centre
        return Place(float(la), float(ln), int(lm.assign([la], [ln])[0]))

    unit_places = [place_of(sorted(u.jurisdiction.values_list("code", flat=True))[0]) for u in polres]
    polri = _strength(polres, "polri")
    unit_strength = np.array([polri.get(u.id, 0) for u in polres], dtype=np.int64)

    cap = float(params["cap_share"])
    penalty = {**DEFAULT_PARAMETERS["source_penalty_min"], **(params.get("source_penalty_min") or {})}
    sources: list[Source] = []
    source_units: list[Unit | None] = []
    hq_place = place_of("53.71" if "53.71" in regions else sorted(polres_of_regency)[0])
    brimob = _province_unit(Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.SPECIAL,
                                                code__startswith="BRIMOB"), province)
    if brimob:
        b = _strength([brimob], "brimob").get(brimob.id, 0)
        b = max(0, b - int(params.get("brimob_withdrawn") or 0))
        sources.append(Source(brimob.name, "brimob", hq_place, int(math.floor(b * 1.0)),
                              float(penalty["brimob"])))
        source_units.append(brimob)
    polda = _province_unit(Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.PROVINCE), province)
    if polda:
        s = _strength([polda], "polri").get(polda.id, 0)
        sources.append(Source(f"{polda.name} (Mapolda)", "polda", hq_place, int(math.floor(s * cap + 1e-9)),
                              float(penalty["polda"])))
        source_units.append(polda)
    kodim = list(Unit.objects.filter(agency__code=AgencyKind.TNI, level=UnitLevel.REGENCY).order_by("code"))
    tni = _strength(kodim, "tni")
    for k in kodim:
        codes_k = sorted(c for c in k.jurisdiction.values_list("code", flat=True) if c in regions)
        if not codes_k or not tni.get(k.id):
            continue
        sources.append(Source(f"{k.name} (BKO TNI)", "tni", place_of(codes_k[0]),
                              int(math.floor(tni[k.id] * float(params["tni_share"]) + 1e-9)),
                              float(penalty["tni"])))
        source_units.append(k)

    sites = [regions[d] for d in districts if regions.get(d) is not None and regions[d].lat is not None]
    site_isl = lm.assign([s.lat for s in sites], [s.lng for s in sites])
    site_places = [Place(float(s.lat), float(s.lng), int(i)) for s, i in zip(sites, site_isl, strict=True)]
    tier_arr = np.array([tier_index[tiers[r[0]]] for r in rows], dtype=np.int64)
    pp = PlanParams(radius_h=float(params["radius_min"]) / 60.0, cap_share=cap, reserve_k=int(params["reserve_k"]),
                    reserve_objective=str(params["reserve_objective"]),
                    reserve_team_size=int(params["reserve_team_size"]), seed=int(params["seed"]),
                    time_limit_s=float(params["time_limit_s"]),
                    group_refine_s=float(params.get("group_refine_s", 0.0)))
    inp = PlanInput(
        tps_lat=lat, tps_lng=lng, tps_island=lm.assign(lat, lng),
        tps_unit=np.array([polres_of_regency[r[5]] for r in rows], dtype=np.int64),
        tps_district=np.array([d_index[r[4]] for r in rows], dtype=np.int64), tps_tier=tier_arr,
        unit_places=unit_places, unit_strength=unit_strength, patterns=patterns, sources=sources,
        sites=site_places, params=pp,
    )
    digest = hashlib.sha256()
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(np.array([r[0] for r in rows], dtype=np.int64).tobytes())
    digest.update(lat.tobytes() + lng.tobytes() + tier_arr.tobytes() + unit_strength.tobytes())
    digest.update(json.dumps([(s.name, s.available) for s in sources]).encode())
    digest.update(json.dumps(labels, sort_keys=True).encode())
    return Inputs(inp=inp, polres=polres, tps_ids=np.array([r[0] for r in rows], dtype=np.int64),
                  tps_district=[r[4] for r in rows], districts=districts,
                  district_names={c: r.name for c, r in regions.items()}, tier_source=tier_source,
                  pattern_labels=labels, source_units=source_units, sources=sources, sites=sites, model=model,
                  lm=lm, input_hash=digest.hexdigest())


def PLAN_STEPS() -> dict[str, str]:  # noqa: N802 - a table, built when asked (in the current language)
    """The steps of a plan run as its page shows them (engine stage name -> words)."""
    from django.utils.translation import gettext as _

    return {"inputs": _("Mengumpulkan data TPS, satuan dan kekuatan"), "groups": _("Membentuk kelompok pengamanan"),
            "officers": _("Menghitung kebutuhan personel"), "reserves": _("Menempatkan tim cadangan"),
            "reinforcements": _("Menghitung BKO antarsatuan"), "store": _("Menyimpan rencana")}


def plan_execute(plan: Plan) -> dict[str, Any]:
    """Compute a queued plan and store its results (called by the task)."""
    run = plan.task_run or taskrun_create(kind=PLAN_KIND, actor=plan.created_by, parameters={"plan": plan.pk})
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.RUNNING)
    try:
        with RunRecorder(run) as rec:
            names = PLAN_STEPS()
            order = list(names)
            at = steps(run, [str(names[k]) for k in order])
            t0 = time.perf_counter()
            at(0)
            data = gather_inputs(plan.election, plan.parameters)
            rec.log(f"masukan: {len(data.tps_ids)} TPS, {len(data.polres)} Polres, sumber tingkat: {data.tier_source}")
            t1 = time.perf_counter()
            out = run_plan(data.inp, data.model, on_step=lambda name: at(order.index(name)))
            t2 = time.perf_counter()
            at(order.index("store"))
            metrics = _store(plan, data, out)
            metrics["time_inputs_s"] = round(t1 - t0, 3)
            metrics["time_engine_s"] = round(t2 - t1, 3)
            metrics["time_store_s"] = round(time.perf_counter() - t2, 3)
            metrics["time_total_s"] = round(time.perf_counter() - t0, 3)
            Plan.objects.filter(pk=plan.pk).update(metrics=metrics, status=PlanStatus.SUCCEEDED)
            run.result = {"plan": plan.pk, **{k: v for k, v in metrics.items()
                                               if isinstance(v, (int, float, str, bool)) or v is None}}
            rec.log(f"selesai dalam {metrics['time_total_s']} s")
    except Exception:
        Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.FAILED)
        raise
    plan.refresh_from_db()
    return plan.metrics


@transaction.atomic
def _store(plan: Plan, data: Inputs, out: PlanOutput) -> dict[str, Any]:
    inp = data.inp
    polres = data.polres
    tier_names = list(TIERS)
    polsek = {u.code.removeprefix("POLSEK-"): u for u in Unit.objects.filter(code__startswith="POLSEK-")}
    for model in (GuardAssignment, GuardGroup, PlanUnit, Reinforcement, Reserve):
        model.objects.filter(plan=plan).delete()
    # Units.
    S = len(data.sources)
    out_counts = out.flow.flow.sum(axis=1)
    tier_counts = np.zeros((len(polres), len(TIERS)), dtype=np.int64)
    np.add.at(tier_counts, (inp.tps_unit, inp.tps_tier), 1)
    PlanUnit.objects.bulk_create([
        PlanUnit(plan=plan, unit=u, tps_by_tier={t: int(tier_counts[i, j]) for j, t in enumerate(tier_names)},
                 strength=int(inp.unit_strength[i]), deployable=int(out.unit_deployable[i]),
                 officers_required=int(out.unit_required[i]), officers_manual=int(out.unit_manual[i]),
                 linmas=int(out.unit_linmas[i]), groups=int(out.unit_groups[i]),
                 groups_lower_bound=int(out.unit_simple_bound[i]), groups_bound=int(out.unit_bound[i]),
                 reinforcements_in=int(out.unit_reinforced[i]), reinforcements_out=int(out_counts[S + i]),
                 shortfall=int(out.unit_shortfall[i]))
        for i, u in enumerate(polres)
    ])
    # Groups and assignments.
    g = out.grouping
    groups = [
        GuardGroup(plan=plan, unit=polres[int(out.group_unit[k])],
                   polsek=polsek.get(data.districts[int(out.group_district[k])]),
                   district_code=data.districts[int(out.group_district[k])], tier=tier_names[int(out.group_tier[k])],
                   number=k + 1, tps_count=int(out.group_size[k]), officers=int(out.group_officers[k]),
                   linmas=int(out.group_linmas[k]), post_lat=float(inp.tps_lat[g.post[k]]),
                   post_lng=float(inp.tps_lng[g.post[k]]), max_travel_min=round(float(out.group_max_h[k]) * 60, 1))
        for k in range(len(g.post))
    ]
    GuardGroup.objects.bulk_create(groups, batch_size=2000)
    # Reinforcements.
    src_units = data.source_units + list(polres)
    places = [s.place for s in data.sources] + list(inp.unit_places)
    names = [s.name for s in data.sources] + [u.name for u in polres]
    kinds = [s.kind for s in data.sources] + ["polres"] * len(polres)
    rein = []
    for s, u in zip(*np.nonzero(out.flow.flow), strict=True):
        a, b = places[s], inp.unit_places[u]
        legs = data.model.route(a.lat, a.lng, a.island, b.lat, b.lng, b.island)
        path = [{"mode": leg.mode, "points": [[round(p[0], 4), round(p[1], 4)] for p in leg.points],
                 "label": leg.label, "wait_h": round(leg.wait_h, 1)}
                for leg in data.model.route_legs(a.lat, a.lng, a.island, b.lat, b.lng, b.island)]
        rein.append(Reinforcement(plan=plan, source_name=names[s], source_kind=kinds[s], source_unit=src_units[s],
                                  to_unit=polres[int(u)], count=int(out.flow.flow[s, u]),
                                  minutes=round(float(out.flow_minutes[s, u]), 1),
                                  route=" → ".join(x for x in legs if not x.startswith("landing-"))[:255],
                                  path=path))
    Reinforcement.objects.bulk_create(rein)
    # Reserves.
    res_rows = []
    for kind, r in ((ReserveKind.MEDIAN, out.reserve_median), (ReserveKind.CENTER, out.reserve_center)):
        if r is None:
            continue
        demand = out.reserve_demand
        site_lat = np.array([inp.sites[int(i)].lat for i in r.sites])
        site_lng = np.array([inp.sites[int(i)].lng for i in r.sites])
        site_isl = np.array([inp.sites[int(i)].island for i in r.sites], dtype=np.int64)
        C = data.model.matrix(site_lat, site_lng, site_isl, inp.tps_lat[demand], inp.tps_lng[demand],
                              inp.tps_island[demand])
        for q, si in enumerate(r.sites):
            mine = r.assignment == q
            t = C[q, mine]
            site = data.sites[int(si)]
            res_rows.append(Reserve(
                plan=plan, kind=kind, district_code=site.code, name=site.name, unit=polsek.get(site.code),
                lat=float(site.lat), lng=float(site.lng), team_size=int(inp.params.reserve_team_size),
                demand_count=int(mine.sum()), max_minutes=round(float(t.max()) * 60, 1) if len(t) else 0.0,
                mean_minutes=round(float(t.mean()) * 60, 1) if len(t) else 0.0))
    Reserve.objects.bulk_create(res_rows)
    ids = list(GuardGroup.objects.filter(plan=plan).order_by("number").values_list("id", flat=True))
    # Nearest reserve team (the p-median sites, else p-center) and its estimated response time, per TPS.
    near_res: list[Reserve | None] = [None] * len(data.tps_ids)
    near_min = np.full(len(data.tps_ids), np.nan)
    primary = [r for r in res_rows if r.kind == ReserveKind.MEDIAN] or [r for r in res_rows
                                                                         if r.kind == ReserveKind.CENTER]
    if primary and len(data.tps_ids):
        r_isl = data.lm.assign([r.lat for r in primary], [r.lng for r in primary])
        C = data.model.matrix(np.array([r.lat for r in primary]), np.array([r.lng for r in primary]),
                              np.asarray(r_isl, dtype=np.int64), inp.tps_lat, inp.tps_lng, inp.tps_island)
        best = np.argmin(C, axis=0)
        near_min = C[best, np.arange(C.shape[1])] * 60.0
        near_res = [primary[int(k)] for k in best]
    GuardAssignment.objects.bulk_create([
        GuardAssignment(plan=plan, group_id=ids[int(g.group[i])], polling_station_id=int(data.tps_ids[i]),
                        tier=tier_names[int(inp.tps_tier[i])], reserve=near_res[i],
                        reserve_minutes=round(float(near_min[i]), 1) if np.isfinite(near_min[i]) else None)
        for i in range(len(data.tps_ids))
    ], batch_size=2000)
    metrics: dict[str, Any] = dict(out.metrics())
    metrics["tier_source"] = data.tier_source
    metrics["tier_counts"] = {t: int(tier_counts[:, j].sum()) for j, t in enumerate(tier_names)}
    metrics["patterns"] = data.pattern_labels
    metrics["sources"] = [{"name": s.name, "kind": s.kind, "available": s.available} for s in data.sources]
    metrics["cancelled_links"] = sorted(data.model.cancelled)
    baseline = {
        "officers": int(out.unit_manual.sum()),
        "groups": int(g.simple_bound),
        "shortfall_before_bko": int(np.maximum(out.unit_manual - out.unit_deployable, 0).sum()),
        "note": "pola diterapkan pada jumlah TPS per tingkat per Polres, tanpa geografi",
    }
    Plan.objects.filter(pk=plan.pk).update(input_hash=data.input_hash, tier_source=data.tier_source,
                                           baseline=baseline)
    audit_log(actor=plan.created_by, action="deployment.plan.computed", obj=plan,
              data={"input_hash": data.input_hash, "groups": metrics["groups"],
                    "officers_required": metrics["officers_required"], "shortfall": metrics["shortfall"]})
    return metrics


def plan_run_sync(*, actor, election: Election, scenario: str = "dasar", name: str = "",
                  parameters: dict | None = None) -> Plan:
    """Create and compute a plan in this process (CLI, tests, benchmarks)."""
    plan = plan_run(actor=actor, election=election, scenario=scenario, name=name, parameters=parameters,
                    enqueue=False)
    plan_execute(plan)
    plan.refresh_from_db()
    return plan


def taskrun_of(plan: Plan) -> TaskRun | None:
    return plan.task_run


# -- approval (Renpam disahkan) -----------------------------------------------------------------------------
def _session_verified(user) -> bool:
    """True when the user's session passed the second factor (django-otp sets ``is_verified``)."""
    check = getattr(user, "is_verified", None)
    if callable(check):
        return bool(check())
    return getattr(user, "otp_device", None) is not None


def plan_snapshot(plan: Plan) -> dict[str, dict[str, int]]:
    """Per Polres figures of a plan that a Renpam diff compares: groups, officers, BKO in, reserve teams."""
    out: dict[str, dict[str, int]] = {}
    for name, code, groups, officers, bko, short in PlanUnit.objects.filter(plan=plan).values_list(
            "unit__name", "unit__code", "groups", "officers_required", "reinforcements_in", "shortfall"):
        out[code] = {"name": name, "groups": groups, "officers": officers, "bko": bko, "shortfall": short,
                     "reserves": 0}
    by_regency = {c.removeprefix("POLRES-"): c for c in out}
    for dcode in Reserve.objects.filter(plan=plan, kind=ReserveKind.MEDIAN).values_list("district_code", flat=True):
        key = by_regency.get(dcode[:5])
        if key:
            out[key]["reserves"] += 1
    return out


DIFF_FIELDS = ("groups", "officers", "bko", "reserves", "shortfall")


def plan_diff(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Readable per Polres changes between two plan snapshots (only Polres with a change)."""
    rows = []
    for code in sorted(set(old) | set(new)):
        a, b = old.get(code, {}), new.get(code, {})
        changes = {f: [a.get(f, 0), b.get(f, 0)] for f in DIFF_FIELDS if a.get(f, 0) != b.get(f, 0)}
        if changes:
            rows.append({"code": code, "name": b.get("name") or a.get("name") or code, "changes": changes})
    return rows


@transaction.atomic
def plan_approve(*, actor, plan: Plan, phase: str = "pemungutan", rank: str = "", note: str = "") -> PlanApproval:
    """Approve a computed plan as the Renpam of its election and operation phase.

    Only a commander (``plan.approve``) whose session passed the second factor may approve. The new version
    supersedes the current one (one current Renpam per election and phase, enforced by the database), keeps a
    readable per Polres diff against it, and a signed PDF whose SHA-256 goes into the audit chain."""
    from sinergi.accounts.permissions import has_perm
    from sinergi.core import clock

    from .choices import OperationPhase

    if actor is None or not has_perm(actor, "plan.approve"):
        raise PermissionDenied("not allowed: plan.approve")
    if not _session_verified(actor):
        raise PermissionDenied("second factor required: plan.approve")
    if phase not in OperationPhase.values:
        raise ValueError(f"phase: tahap operasi tidak dikenal: {phase!r}")
    if plan.status != PlanStatus.SUCCEEDED:
        raise ValueError("plan: hanya rencana yang selesai dihitung dapat disahkan")
    current = (PlanApproval.objects.select_for_update()
               .filter(election=plan.election, phase=phase, is_current=True).first())
    last = PlanApproval.objects.filter(election=plan.election, phase=phase).order_by("-version").first()
    version = (last.version if last else 0) + 1
    snap = plan_snapshot(plan)
    diff: dict[str, Any] = {"previous_version": None, "rows": []}
    now = clock.now()
    if current is not None:
        diff = {"previous_version": current.version, "previous_plan": current.plan_id,
                "rows": plan_diff(plan_snapshot(current.plan), snap)}
        PlanApproval.objects.filter(pk=current.pk).update(is_current=False, superseded_at=now)
    unit = actor.unit.name if actor.unit_id else ""
    approval = PlanApproval.objects.create(
        plan=plan, election=plan.election, phase=phase, version=version, is_current=True, approved_by=actor,
        approver_name=actor.get_full_name() or actor.username, approver_rank=rank.strip()[:120],
        approver_unit=unit, approved_at=now, note=note.strip()[:500], diff=diff)
    from .exports import approval_pdf

    pdf = approval_pdf(approval, snap)
    approval.pdf = pdf
    approval.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    approval.save(update_fields=["pdf", "pdf_sha256"])
    audit_log(actor=actor, action="deployment.plan.approve", obj=approval, data={
        "plan": plan.pk, "phase": phase, "version": version, "supersedes": current.version if current else None,
        "pdf_sha256": approval.pdf_sha256, "changed_polres": len(diff["rows"])})
    return approval


def plan_follow_run(run, status: str) -> None:
    """Keep the plan's status in step when its run is released, cancelled, failed for good or queued again from
    the tasks page (registered in DeploymentConfig.ready)."""
    target = {"queued": PlanStatus.QUEUED, "cancelled": PlanStatus.FAILED, "failed": PlanStatus.FAILED}.get(status)
    if target is not None:
        Plan.objects.filter(task_run=run).exclude(status=PlanStatus.SUCCEEDED).update(status=target)
