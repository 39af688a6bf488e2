"""The bridge between the database and the pure scoring engine (sinergi.engine.risk).

`spec_for(model)` builds the engine's RiskModelSpec from a model version; `load_tps_inputs` reads every TPS of
an election with its packed latest indicator values; `recompute_store` scores them, rolls the scores up to
kecamatan, kabupaten/kota and province, and replaces the model version's assessments in bulk (COPY on
PostgreSQL, executemany on SQLite). Nothing here checks permissions or writes audit events: services do.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import connection, transaction

from sinergi.core import clock
from sinergi.engine.risk import (
    IncidentParams,
    RiskModelSpec,
    TierScheme,
    assign_tiers,
    incident_pressure,
    region_scores,
    score,
)
from sinergi.engine.risk import (
    Indicator as EngineIndicator,
)

from .choices import REGION_TIER_CODES, TPS_TIER_CODES, IndicatorScope, ValueType
from .models import Assessment, Indicator, Observation, RegionAssessment, RiskModel

NAN = float("nan")


@dataclass
class ModelSpecs:
    tps: RiskModelSpec | None
    tps_indicators: list[Indicator]
    region: RiskModelSpec | None
    region_indicators: list[Indicator]


def _engine_indicator(ind: Indicator, weight: float, cap: float) -> EngineIndicator:
    if ind.value_type == ValueType.COUNT:
        kind, cap_ = "count", cap if cap > 0 else ind.cap
    elif ind.value_type == ValueType.INDEX:
        kind, cap_ = "count", 100.0
    else:
        kind, cap_ = ("yes_no" if ind.value_type == ValueType.YES_NO else "share"), 1.0
    return EngineIndicator(ind.code, float(weight), kind=kind, cap=float(cap_), direction=int(ind.direction),
                           dimension=ind.group)


def spec_for(model: RiskModel) -> ModelSpecs:
    """The engine specs of a model version: one over its TPS indicators, one over its region (IKP) indicators."""
    weights = list(model.weights.select_related("indicator").filter(indicator__is_active=True)
                   .order_by("indicator__order", "indicator__code"))
    incidents = IncidentParams(
        radius_km=model.incident_radius_km, window_days=model.incident_window_days,
        half_life_days=model.incident_half_life_days, cap=model.incident_cap, weight=model.incident_weight)
    out = ModelSpecs(None, [], None, [])
    for scope in (IndicatorScope.TPS, IndicatorScope.REGION):
        rows = [w for w in weights if w.indicator.scope == scope]
        if not rows or not sum(w.weight for w in rows) > 0:
            continue
        inds = tuple(_engine_indicator(w.indicator, w.weight, w.cap) for w in rows)
        if scope == IndicatorScope.TPS:
            tiers = TierScheme(cut_points=(model.tps_cut_rawan, model.tps_cut_sangat_rawan),
                               labels=tuple(str(c) for c in TPS_TIER_CODES))
            out.tps = RiskModelSpec(indicators=inds, missing_rule=model.missing_rule,
                                    min_coverage=model.min_coverage, tiers=tiers, incidents=incidents)
            out.tps_indicators = [w.indicator for w in rows]
        else:
            tiers = TierScheme(cut_points=(model.region_cut_sedang, model.region_cut_tinggi),
                               labels=tuple(str(c) for c in REGION_TIER_CODES))
            out.region = RiskModelSpec(indicators=inds, missing_rule=model.missing_rule,
                                       min_coverage=model.min_coverage, tiers=tiers)
            out.region_indicators = [w.indicator for w in rows]
    return out


# ------------------------------------------------------------------------------------------------ packing

def pack(values: dict[int, float], n_slots: int) -> bytes:
    """{slot: value} -> float32 little-endian bytes of length 4 * n_slots, NaN where not observed."""
    vec = np.full(n_slots, np.nan, dtype="<f4")
    for slot, v in values.items():
        vec[slot] = v
    return vec.tobytes()


def unpack(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


@dataclass
class TpsTable:
    ids: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    regency: list[str]
    district: list[str]
    values: np.ndarray  # (n, n_slots) float32, NaN = not observed
    is_demo: np.ndarray  # (n,) bool
    seconds: dict[str, float] = field(default_factory=dict)


def load_tps_inputs(election_id: int) -> TpsTable:
    """Every TPS of the election (by id) with its packed latest values (raw SQL: 435,000 rows in about a second)."""
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT id, lat, lng, regency_code, district_code FROM elections_pollingstation "
                    "WHERE election_id = %s ORDER BY id", [election_id])
        rows = cur.fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        lat = np.array([NAN if r[1] is None else r[1] for r in rows], dtype=np.float64)
        lng = np.array([NAN if r[2] is None else r[2] for r in rows], dtype=np.float64)
        regency = [r[3] for r in rows]
        district = [r[4] for r in rows]
        del rows
        t1 = time.perf_counter()
        cur.execute("SELECT polling_station_id, \"values\", is_demo FROM risk_riskinput WHERE election_id = %s",
                    [election_id])
        inputs = cur.fetchall()
    n_slots = max([len(v) // 4 for _i, v, _d in inputs] + [_slot_count()])
    values = np.full((len(ids), n_slots), np.nan, dtype=np.float32)
    is_demo = np.zeros(len(ids), dtype=bool)
    if inputs:
        ps = np.fromiter((r[0] for r in inputs), dtype=np.int64, count=len(inputs))
        pos = np.searchsorted(ids, ps)
        ok = (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == ps)
        full = [i for i, r in enumerate(inputs) if len(r[1]) == 4 * n_slots]
        if full:
            buf = b"".join(bytes(inputs[i][1]) for i in full)
            mat = np.frombuffer(buf, dtype="<f4").reshape(len(full), n_slots)
            idx = np.array(full, dtype=np.intp)
            keep = ok[idx]
            values[pos[idx][keep]] = mat[keep]
        for i, r in enumerate(inputs):
            if len(r[1]) != 4 * n_slots and ok[i]:
                vec = unpack(r[1])
                values[pos[i], : len(vec)] = vec
        demo = np.fromiter((bool(r[2]) for r in inputs), dtype=bool, count=len(inputs))
        is_demo[pos[ok]] = demo[ok]
    t2 = time.perf_counter()
    return TpsTable(ids, lat, lng, regency, district, values, is_demo,
                    seconds={"read_tps": t1 - t0, "read_inputs": t2 - t1})


def _slot_count() -> int:
    last = Indicator.objects.order_by("-slot").values_list("slot", flat=True).first()
    return 0 if last is None else last + 1


# ------------------------------------------------------------------------------------------------ incidents

def incident_arrays(election, now: datetime | None = None) -> tuple[np.ndarray, ...]:
    """(lat, lng, age_days, severity) of incidents, from services._incident_points."""
    from .services import _incident_points

    return _incident_points(election, now=now)


# ------------------------------------------------------------------------------------------------ scoring

@dataclass
class TpsScores:
    table: TpsTable
    result: object  # engine RiskResult
    tier_codes: list[str]
    counts: dict[str, int]


def score_tps(model: RiskModel, specs: ModelSpecs | None = None, table: TpsTable | None = None,
              *, with_incidents: bool = True) -> TpsScores:
    specs = specs or spec_for(model)
    if specs.tps is None:
        raise ValueError("model has no weighted TPS indicator")
    table = table or load_tps_inputs(model.election_id)
    slots = np.array([ind.slot for ind in specs.tps_indicators], dtype=np.intp)
    width = table.values.shape[1]
    if len(slots) and slots.max() >= width:
        pad = np.full((table.values.shape[0], slots.max() + 1 - width), np.nan, dtype=np.float32)
        table.values = np.hstack([table.values, pad])
    matrix = np.ascontiguousarray(table.values[:, slots])
    pressure = None
    if with_incidents:
        lat, lng, age, sev = incident_arrays(model.election)
        if len(lat):
            pressure = incident_pressure(table.lat, table.lng, lat, lng, age, sev, params=specs.tps.incidents)
    result = score(matrix, specs.tps, incident_pressure=pressure)
    labels = [str(c) for c in TPS_TIER_CODES]
    tier_codes = [labels[t] if t >= 0 else "" for t in result.tier.tolist()]
    counts = {c: int(np.count_nonzero(result.tier == i)) for i, c in enumerate(labels)}
    counts["tidak_dinilai"] = int(np.count_nonzero(result.tier < 0))
    return TpsScores(table=table, result=result, tier_codes=tier_codes, counts=counts)


def _r(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 2)


def recompute_store(model: RiskModel, on_step=None) -> dict:
    """Score every TPS of the model's election, store the assessments and region roll-ups; return a summary.
    `on_step(i)` (optional) is called as step i of RECOMPUTE_STEPS starts (progress on the task's page)."""
    step = on_step or (lambda i: None)
    step(0)
    t0 = time.perf_counter()
    specs = spec_for(model)
    scored = score_tps(model, specs)
    t1 = time.perf_counter()
    now = clock.now()
    res = scored.result
    table = scored.table
    codes = [ind.code for ind in specs.tps_indicators]
    dims = list(res.dimension_names)
    n = len(table.ids)
    score_l = res.score.tolist()
    cov_l = res.coverage.tolist()
    low_l = res.low_coverage.tolist()
    inc_l = res.incident_points.tolist()
    top_i = res.top_indices.tolist()
    top_p = res.top_points.tolist()
    dim_l = res.dimensions.tolist()
    demo_l = table.is_demo.tolist()
    ids_l = table.ids.tolist()
    step(1)
    if connection.vendor == "postgresql":
        rows = _copy_text(model.pk, table.ids, res, scored.tier_codes, codes, dims, table.is_demo, now)
    else:
        dumps = json.dumps
        rows = []
        for i in range(n):
            s = score_l[i]
            top = [[codes[j], round(p, 2)] for j, p in zip(top_i[i], top_p[i], strict=True) if j >= 0]
            drow = dim_l[i]
            dim = {dims[k]: (None if drow[k] != drow[k] else round(drow[k], 1)) for k in range(len(dims))}
            rows.append((model.pk, ids_l[i], None if s != s else round(s, 2), scored.tier_codes[i],
                         round(cov_l[i], 4), low_l[i], round(inc_l[i], 2), dumps(top), dumps(dim), demo_l[i], now))
    t2 = time.perf_counter()
    step(2)
    region_rows = _region_rows(model, specs, scored, now)
    t3 = time.perf_counter()
    step(3)
    with transaction.atomic():
        with connection.cursor() as cur:  # derived rows only: nothing else points at them
            cur.execute(f"DELETE FROM {connection.ops.quote_name(Assessment._meta.db_table)} WHERE model_id = %s",
                        [model.pk])
        _bulk_insert(Assessment._meta.db_table,
                     ["model_id", "polling_station_id", "score", "tier", "coverage", "low_coverage",
                      "incident_points", "top", "dimensions", "is_demo", "computed_at"], rows)
        RegionAssessment.objects.filter(model=model).delete()
        RegionAssessment.objects.bulk_create(region_rows, batch_size=2000)
        summary = {
            "model_id": model.pk, "version": model.version, "tps": n, "tiers": scored.counts,
            "low_coverage": int(np.count_nonzero(res.low_coverage)),
            "mean_coverage": round(float(np.nanmean(res.coverage)), 4) if n else 0.0,
            "demo": bool(table.is_demo.any()), "regions": len(region_rows),
            "computed_at": now.isoformat(),
        }
        RiskModel.objects.filter(pk=model.pk).update(last_computed_at=now, summary=summary)
    t4 = time.perf_counter()
    model.last_computed_at, model.summary = now, summary
    summary = dict(summary)
    summary["seconds"] = {**{k: round(v, 3) for k, v in table.seconds.items()},
                          "score": round(t1 - t0, 3), "serialise": round(t2 - t1, 3),
                          "regions": round(t3 - t2, 3), "store": round(t4 - t3, 3), "total": round(t4 - t0, 3)}
    return summary


def _copy_text(model_id: int, ids: np.ndarray, res, tiers: list[str], codes: list[str], dims: list[str],
               is_demo: np.ndarray, now) -> list[str]:
    """PostgreSQL COPY text lines of the assessments (plain %-formatting: numpy's char.mod is 3x slower)."""  # noqa: UP031
    n = len(ids)
    score_s = ["\\N" if v != v else "%.2f" % v for v in res.score.tolist()]  # noqa: UP031
    cov_s = ["%.4f" % v for v in res.coverage.tolist()]  # noqa: UP031
    inc_s = ["%.2f" % v for v in res.incident_points.tolist()]  # noqa: UP031
    low_s = ["t" if v else "f" for v in res.low_coverage.tolist()]
    demo_s = ["t" if v else "f" for v in is_demo.tolist()]
    quoted = [f'["{c}",' for c in codes] + [""]
    cols = []
    for k in range(res.top_indices.shape[1]):
        idx = res.top_indices[:, k].tolist()
        pts = res.top_points[:, k].tolist()
        cols.append(["" if j < 0 else quoted[j] + "%.2f]" % p for j, p in zip(idx, pts, strict=True)])  # noqa: UP031
    if len(cols) == 3:  # the usual top 3: an empty slot is always after the filled ones
        tops = [("[" + a + ("," + b if b else "") + ("," + c if c else "") + "]") for a, b, c in zip(*cols, strict=True)]
    else:
        tops = ["[" + ",".join(x for x in t if x) + "]" for t in zip(*cols, strict=True)] if cols else ["[]"] * n
    if dims:
        dim_fmt = "{" + ",".join(f'"{d}":%.1f' for d in dims) + "}"
        dim_s = [(dim_fmt % tuple(r)).replace(":nan", ":null") for r in res.dimensions.tolist()]
    else:
        dim_s = ["{}"] * n
    stamp = now.isoformat()
    head = f"{model_id}\t"
    return [f"{head}{pk}\t{s}\t{t}\t{c}\t{lo}\t{inc}\t{tp}\t{dm}\t{de}\t{stamp}\n"
            for pk, s, t, c, lo, inc, tp, dm, de in zip(ids.tolist(), score_s, tiers, cov_s, low_s, inc_s, tops,
                                                        dim_s, demo_s, strict=True)]


def _bulk_insert(table: str, columns: list[str], rows: list) -> None:
    """Insert many rows: tuples, or (PostgreSQL only) ready COPY text lines."""
    if not rows:
        return
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and isinstance(rows[0], str):
            with cur.cursor.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                for s in range(0, len(rows), 20000):
                    copy.write("".join(rows[s:s + 20000]))
        elif connection.vendor == "postgresql":
            raw = cur.cursor
            with raw.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {quote(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
            for s in range(0, len(rows), 5000):
                cur.executemany(sql, rows[s:s + 5000])


# ------------------------------------------------------------------------------------------------ regions

def latest_region_values(election_id: int, indicators: list[Indicator]) -> tuple[list[str], np.ndarray, set]:
    """Region codes with region observations, their latest values (regions x indicators) and the demo ones."""
    pos = {ind.pk: j for j, ind in enumerate(indicators)}
    latest: dict[tuple[str, int], tuple] = {}
    demo: set[str] = set()
    qs = (Observation.objects.filter(election_id=election_id, region__isnull=False, indicator_id__in=list(pos))
          .order_by("observed_on", "id").values_list("region_id", "indicator_id", "value", "is_demo"))
    for region_id, ind_id, value, is_demo in qs:
        latest[(region_id, ind_id)] = (value, is_demo)
    regions = sorted({r for r, _ in latest})
    index = {r: i for i, r in enumerate(regions)}
    mat = np.full((len(regions), len(indicators)), np.nan, dtype=np.float32)
    for (r, ind_id), (value, is_demo) in latest.items():
        mat[index[r], pos[ind_id]] = value
        if is_demo:
            demo.add(r)
    return regions, mat, demo


def _region_rows(model: RiskModel, specs: ModelSpecs, scored: TpsScores, now) -> list[RegionAssessment]:
    from sinergi.regions.models import Region

    res = scored.result
    tier = res.tier
    ikp: dict[str, tuple[float, dict, bool]] = {}
    if specs.region is not None:
        regions, mat, demo = latest_region_values(model.election_id, specs.region_indicators)
        if regions:
            r = score(mat, specs.region, top_k=0)
            names = r.dimension_names
            for i, code in enumerate(regions):
                s = float(r.score[i])
                if not math.isnan(s):
                    ikp[code] = (s, {names[k]: _r(float(r.dimensions[i, k])) for k in range(len(names))},
                                 code in demo)
    levels = {
        "province": [c[:2] for c in scored.table.regency],
        "regency": scored.table.regency,
        "district": scored.table.district,
    }
    known = set(Region.objects.filter(code__in=set(ikp) | {c for v in levels.values() for c in set(v)})
                .values_list("code", flat=True))
    cuts = (model.region_cut_sedang, model.region_cut_tinggi)
    scheme = TierScheme(cut_points=cuts, labels=tuple(str(c) for c in REGION_TIER_CODES))
    out: list[RegionAssessment] = []
    seen: set[str] = set()
    demo_any = scored.table.is_demo
    for level, per_tps in levels.items():
        uniq, inv = np.unique(np.array(per_tps, dtype=object), return_inverse=True)
        mean, n_scored = region_scores(res.score, inv, len(uniq))
        total = np.bincount(inv, minlength=len(uniq))
        per_tier = [np.bincount(inv[tier == t], minlength=len(uniq)) for t in range(3)]
        demo_cnt = np.bincount(inv[demo_any], minlength=len(uniq)) if demo_any.any() else np.zeros(len(uniq))
        for k, code in enumerate(uniq.tolist()):
            if code not in known:
                continue
            seen.add(code)
            tps_mean = float(mean[k])
            ik = ikp.get(code)
            final = ik[0] if ik else tps_mean
            t = int(assign_tiers([final], scheme)[0])
            out.append(RegionAssessment(
                model=model, region_id=code, level=level, score=_r(final),
                tier=str(REGION_TIER_CODES[t]) if t >= 0 else "", basis=("ikp" if ik else "tps_mean"),
                ikp_score=_r(ik[0]) if ik else None, tps_mean_score=_r(tps_mean), tps_total=int(total[k]),
                tps_scored=int(n_scored[k]), n_kurang_rawan=int(per_tier[0][k]), n_rawan=int(per_tier[1][k]),
                n_sangat_rawan=int(per_tier[2][k]), dimensions=ik[1] if ik else {},
                is_demo=bool(demo_cnt[k] > 0 or (ik and ik[2])), computed_at=now))
    for code, (s, dims, is_demo) in ikp.items():  # regions with IKP data but no TPS
        if code in seen or code not in known:
            continue
        t = int(assign_tiers([s], scheme)[0])
        level = {2: "province", 5: "regency", 8: "district"}.get(len(code), "village")
        out.append(RegionAssessment(
            model=model, region_id=code, level=level, score=_r(s), tier=str(REGION_TIER_CODES[t]),
            basis="ikp", ikp_score=_r(s), dimensions=dims, is_demo=is_demo, computed_at=now))
    return out
