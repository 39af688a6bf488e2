"""Writers of the default dataset. Each one writes its audit event.

Here in elections (moved from regions, which sits below elections): the dataset spans regions, the election with
its TPS and the units, so it lives in the highest of those apps. `load_default_dataset` is the entry point used by
``sinergi up``, ``sinergi load-dataset`` and the test fixture ``ntt_dataset``.

`dataset_load_default` loads the shipped default dataset (national regions and islands, NTT geometry,
the Pilkada 2024 election with its stages and contests, the ESTIMATED NTT TPS list, agencies, units and
estimated strengths) in one transaction with one ``dataset.load`` audit event. Readers and builders live in
``sinergi.regions.loaders``; the arithmetic in ``sinergi.engine.tps_estimate``.

Every write is an upsert keyed by natural codes (region code, island code, election code, stage code,
contest region, TPS desa+number, unit code, unit+personnel type), so a forced reload replaces values in
place and keeps the primary keys that users, plans and incidents point at.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from sinergi.accounts.models import Agency, Unit, UnitStrength
from sinergi.core.services import audit_log
from sinergi.regions.loaders import idn_area, ntt, province, units
from sinergi.regions.loaders.common import input_hashes
from sinergi.regions.models import Island, Region

from .models import Contest, Election, PollingStation, Stage

ELECTION_CODE = "pilkada-2024"
DATASET_ID = "ntt-pilkada-2024"
BATCH_SIZE = 2000

_REGION_FIELDS = ["level", "parent", "name", "province_code", "lat", "lng", "centroid_source", "geometry",
                  "geometry_web"]
_ISLAND_FIELDS = ["regency", "name", "lat", "lng", "is_populated", "is_outermost_small"]
_TPS_FIELDS = ["district_code", "regency_code", "code", "voters", "voters_estimated", "lat", "lng",
               "location_source", "location_estimated", "source"]


def _upsert(model, fields: list[str], rows: list[tuple], conflict: list[str]) -> None:
    """``INSERT .. ON CONFLICT (conflict) DO UPDATE`` of ``rows`` (tuples in the order of ``fields``).

    SQLite: ``executemany`` in batches of BATCH_SIZE; PostgreSQL: COPY into a staging table (see
    :func:`_copy_upsert`). The ORM's bulk_create builds one parameter per value in Python and caps SQLite
    batches at 999 parameters; for the 100k region rows this is several times faster. Concrete fields not
    in ``fields`` (for example ones other features add later) get their model default on insert and keep
    their value on update.
    """
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    meta = model._meta
    cols = [meta.get_field(f).column for f in fields]
    conflict_cols = [meta.get_field(f).column for f in conflict]
    extra_cols: list[str] = []
    extra_values: list[Any] = []
    for f in meta.concrete_fields:
        if f.column in cols or (f.primary_key and f.name not in fields):
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        else:
            value = f.get_default()
        extra_cols.append(f.column)
        extra_values.append(f.get_db_prep_save(value, connection))
    table = qn(meta.db_table)
    update_cols = [c for c in cols if c not in conflict_cols]
    updates = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in update_cols)
    # Rows whose values are unchanged are not rewritten (a forced reload of the same data stays cheap).
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"{table}.{qn(c)} {distinct} EXCLUDED.{qn(c)}" for c in update_cols)
    all_cols = cols + extra_cols
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in all_cols)}) "
        f"VALUES ({', '.join(['%s'] * len(all_cols))}) "
        f"ON CONFLICT ({', '.join(qn(c) for c in conflict_cols)}) DO UPDATE SET {updates} WHERE {changed}"
    )
    tail = tuple(extra_values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_upsert(cursor, qn, table, all_cols, conflict_cols, updates, changed, rows, tail)
            return
        for i in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, [row + tail for row in rows[i : i + BATCH_SIZE]])


def _copy_upsert(cursor, qn, table: str, cols: list[str], conflict_cols: list[str], updates: str, changed: str,
                 rows: list[tuple], tail: tuple) -> None:
    """PostgreSQL: COPY into a temporary table, then one ``INSERT .. SELECT .. ON CONFLICT``.

    executemany pays a round trip per row and multi-row VALUES pays client-side quoting of 17 MB of
    geometry; COPY streams the rows.
    """
    column_list = ", ".join(qn(c) for c in cols)
    staging = qn("sinergi_load_staging")
    cursor.execute(f"DROP TABLE IF EXISTS {staging}")
    cursor.execute(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {column_list} FROM {table} WITH NO DATA")
    with cursor.cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row + tail)
    cursor.execute(
        f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {staging} "
        f"ON CONFLICT ({', '.join(qn(c) for c in conflict_cols)}) DO UPDATE SET {updates} WHERE {changed}"
    )
    cursor.execute(f"DROP TABLE {staging}")


def load_default_dataset(*, actor=None, force: bool = False) -> dict[str, Any]:
    """Load the NTT Pilkada 2024 default dataset once (idempotent; ``force=True`` reloads it in place).

    Returns the summary counts and ``seconds``; ``skipped`` is True when nothing was done.
    """
    return dataset_load_default(actor=actor, force=force)


def dataset_is_loaded() -> bool:
    """True when the default election exists with its TPS list."""
    return PollingStation.objects.filter(election__code=ELECTION_CODE).exists()


def dataset_load_default(*, actor=None, force: bool = False) -> dict[str, Any]:
    """Load the default dataset; a no-op (``skipped``) when it is already loaded, unless ``force``.

    Returns a summary: counts per kind, ``seconds`` and ``skipped``.
    """
    t0 = time.perf_counter()
    if not force and dataset_is_loaded():
        return {"skipped": True, "dataset": DATASET_ID, "seconds": round(time.perf_counter() - t0, 3)}

    # Read and compute everything before the transaction (CPU only, no locks held).
    from django.utils.translation import gettext

    from sinergi.core.progress import steps

    at = steps(None, [gettext("Membaca wilayah dan batas"), gettext("Memperkirakan lokasi TPS"),
                      gettext("Menyusun satuan dan kekuatan"), gettext("Menyimpan wilayah"),
                      gettext("Menyimpan pemilihan dan TPS"), gettext("Menyimpan satuan")], label="dataset")
    at(0)
    areas = idn_area.read_areas()
    islands = idn_area.read_islands()
    geo = ntt.read_geo()
    election_spec = ntt.read_election()
    stages = ntt.read_stages()
    contests = ntt.read_contests()
    at(1)
    tps = ntt.estimate_tps(areas, geo, election_spec.voters_total)
    if len(tps) != election_spec.tps_total:
        raise ValueError(f"estimated {len(tps)} TPS, the DPT record says {election_spec.tps_total}")
    at(2)
    unit_specs = units.read_units(areas, ntt.PROVINCE_CODE)
    tps_per_regency = Counter(t.regency_code for t in tps)
    strengths = units.build_strengths(unit_specs, tps_per_regency)
    hashes = input_hashes(idn_area.SOURCE_FILES + ntt.SOURCE_FILES + units.SOURCE_FILES)
    t_read = time.perf_counter() - t0

    with transaction.atomic():
        at(3)
        region_counts = _write_regions(areas, geo)
        island_count = _write_islands(islands)
        at(4)
        election = _write_election(election_spec)
        stage_count = _write_stages(election, stages)
        contest_count = _write_contests(election, contests)
        tps_count = _write_tps(election, tps)
        at(5)
        unit_count = _write_units(unit_specs)
        _attach_poldas_to_mabes()  # national mode: Polda NTT stays under Mabes Polri after a forced reload
        strength_count = _write_strengths(strengths)
        at(6)
        counts = {
            "regions": region_counts,
            "islands": island_count,
            "ntt_geometries": len(geo.boundaries),
            "stages": stage_count,
            "contests": contest_count,
            "candidate_pairs": sum(c.candidate_pair_count for c in contests),
            "tps": tps_count,
            "tps_located_in_desa": sum(1 for t in tps if t.location_source == "estimated_desa"),
            "voters": sum(t.voters for t in tps),
            "agencies": len(units.AGENCIES),
            "units": unit_count,
            "strengths": strength_count,
        }
        audit_log(actor=actor, action="dataset.load", object_type="dataset", object_id=DATASET_ID,
                  data={"counts": counts, "force": force, "inputs": hashes})
    return {
        "skipped": False,
        "dataset": DATASET_ID,
        "forced": force,
        **counts,
        "seconds_read": round(t_read, 3),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _write_regions(areas: list[idn_area.AreaRow], geo: ntt.NttGeo) -> dict[str, int]:
    levels: Counter[str] = Counter()
    for level in ("province", "regency", "district", "village"):
        rows = []
        for a in areas:
            if a.level != level:
                continue
            b = geo.boundaries.get(a.code)
            c = geo.centroids.get(a.code)
            rows.append((
                a.code, a.level, a.parent_code, a.name, a.province_code, c.lat if c else None,
                c.lng if c else None, c.source if c else "", b.geometry if b else "", b.geometry_web if b else "",
            ))
        _upsert(Region, ["code", *_REGION_FIELDS], rows, ["code"])
        levels[level] = len(rows)
    return {"provinces": levels["province"], "regencies": levels["regency"], "districts": levels["district"],
            "villages": levels["village"]}


def _write_islands(islands: list[idn_area.IslandRow]) -> int:
    rows = [(i.code, i.regency_code, i.name, i.lat, i.lng, i.is_populated, i.is_outermost_small) for i in islands]
    _upsert(Island, ["code", *_ISLAND_FIELDS], rows, ["code"])
    return len(rows)


def _write_election(spec: ntt.ElectionSpec) -> Election:
    election, _ = Election.objects.update_or_create(
        code=spec.code,
        defaults={"name": spec.name, "voting_date": spec.voting_date, "province_id": spec.province_code,
                  "voters_total": spec.voters_total, "voters_source": spec.voters_source},
    )
    return election


def _write_stages(election: Election, stages: list[ntt.StageSpec]) -> int:
    objs = [Stage(election=election, code=s.code, name=s.name, name_en=s.name_en, start_date=s.start_date,
                  end_date=s.end_date, order=s.order) for s in stages]
    Stage.objects.bulk_create(objs, update_conflicts=True, unique_fields=["election", "code"],
                              update_fields=["name", "name_en", "start_date", "end_date", "order"])
    return len(objs)


def _write_contests(election: Election, contests: list[ntt.ContestSpec]) -> int:
    objs = [Contest(election=election, kind=c.kind, region_id=c.region_code,
                    candidate_pair_count=c.candidate_pair_count, source=c.source) for c in contests]
    Contest.objects.bulk_create(objs, update_conflicts=True, unique_fields=["election", "region"],
                                update_fields=["kind", "candidate_pair_count", "source"])
    return len(objs)


def _write_tps(election: Election, tps: list[ntt.TpsEstimate]) -> int:
    rows = [
        (election.pk, t.village_code, t.number, t.district_code, t.regency_code,
         PollingStation.make_code(t.village_code, t.number), t.voters, True, t.lat, t.lng, t.location_source, True,
         t.source)
        for t in tps
    ]
    _upsert(PollingStation, ["election", "village", "number", *_TPS_FIELDS], rows, ["election", "village", "number"])
    # A forced reload drops TPS of this election that the estimate no longer has.
    wanted = {r[5] for r in rows}
    stale = [pk for pk, code in PollingStation.objects.filter(election=election).values_list("pk", "code")
             if code not in wanted]
    for i in range(0, len(stale), BATCH_SIZE):
        PollingStation.objects.filter(pk__in=stale[i : i + BATCH_SIZE]).delete()
    return len(rows)


def _write_units(specs: list[units.UnitSpec]) -> int:
    agencies = {}
    for code, name in units.AGENCIES.items():
        agencies[code], _ = Agency.objects.update_or_create(code=code, defaults={"name": name})
    pk_of: dict[str, int] = {}
    path_of: dict[str, str] = {}
    # Parents come first (order_units), so each depth can be upserted once its parents have pks.
    by_depth: dict[int, list[units.UnitSpec]] = {}
    depth: dict[str, int] = {}
    for s in specs:
        depth[s.code] = 0 if s.parent_code is None else depth[s.parent_code] + 1
        by_depth.setdefault(depth[s.code], []).append(s)
    for d in sorted(by_depth):
        group = by_depth[d]
        objs = [Unit(agency=agencies[s.agency], parent_id=pk_of[s.parent_code] if s.parent_code else None,
                     code=s.code, name=s.name, level=s.level, note=s.note) for s in group]
        Unit.objects.bulk_create(objs, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=["code"],
                                 update_fields=["agency", "parent", "name", "level", "note"])
        pk_of.update(Unit.objects.filter(code__in=[s.code for s in group]).values_list("code", "pk"))
        for s in group:
            parent_path = path_of[s.parent_code] if s.parent_code else "/"
            path_of[s.code] = f"{parent_path}{pk_of[s.code]}/"
    to_update = [Unit(pk=pk_of[code], path=path) for code, path in path_of.items()]
    Unit.objects.bulk_update(to_update, ["path"], batch_size=BATCH_SIZE)

    through = Unit.jurisdiction.through
    unit_ids = list(pk_of.values())
    for i in range(0, len(unit_ids), BATCH_SIZE):
        through.objects.filter(unit_id__in=unit_ids[i : i + BATCH_SIZE]).delete()
    through.objects.bulk_create(
        [through(unit_id=pk_of[s.code], region_id=code) for s in specs for code in s.jurisdiction],
        batch_size=BATCH_SIZE,
    )
    return len(specs)


def _write_strengths(specs: list[units.StrengthSpec]) -> int:
    pk_of = dict(Unit.objects.filter(code__in={s.unit_code for s in specs}).values_list("code", "pk"))
    objs = [UnitStrength(unit_id=pk_of[s.unit_code], personnel_type=s.personnel_type, count=s.count,
                         estimated=True, source=s.source) for s in specs]
    UnitStrength.objects.bulk_create(objs, update_conflicts=True, unique_fields=["unit", "personnel_type"],
                                     update_fields=["count", "estimated", "source"])
    return len(objs)


# --- other provinces and the national mode (sinergi load-dataset --province CODE / --national) -------------------


def _ensure_regions(areas: list[idn_area.AreaRow]) -> None:
    """The national code list (regions, islands) without NTT geometry, if it was never loaded."""
    if Region.objects.filter(level="province").count() >= len({a.code for a in areas if a.level == "province"}):
        return
    _write_regions(areas, ntt.NttGeo(boundaries={}, centroids={}))
    _write_islands(idn_area.read_islands())


def _ensure_mabes(areas: list[idn_area.AreaRow]) -> Unit:
    """Mabes Polri: the national root of Polri, jurisdiction every province."""
    agency, _ = Agency.objects.update_or_create(code="POLRI", defaults={"name": units.AGENCIES["POLRI"]})
    mabes, created = Unit.objects.update_or_create(
        code=province.MABES_CODE,
        defaults={"agency": agency, "parent": None, "name": "Mabes Polri", "level": "national",
                  "note": "Markas Besar Polri (mode nasional): membawahi 38 Polda"},
    )
    if created or mabes.path != f"/{mabes.pk}/":
        Unit.objects.filter(pk=mabes.pk).update(path=f"/{mabes.pk}/")
        mabes.path = f"/{mabes.pk}/"
    mabes.jurisdiction.set([a.code for a in areas if a.level == "province"])
    return mabes


def _attach_poldas_to_mabes() -> int:
    """Put every root Polda under Mabes Polri (when it exists), moving the paths of their whole subtrees."""
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    mabes = Unit.objects.filter(code=province.MABES_CODE).first()
    if mabes is None:
        return 0
    moved = 0
    for polda in Unit.objects.filter(agency__code="POLRI", level="province", parent__isnull=True):
        old = polda.path
        Unit.objects.filter(pk=polda.pk).update(parent=mabes)
        Unit.objects.filter(path__startswith=old).update(path=Concat(Value(mabes.path), Substr("path", 2)))
        moved += 1
    return moved


def dataset_load_province(*, province_code: str, actor=None, areas: list[idn_area.AreaRow] | None = None,
                          audit: bool = True) -> dict[str, Any]:
    """Set up one province the way NTT is set up, from the shipped code list (see loaders/province.py).

    Idempotent: rerun it after ``sinergi import-tps --election pilkada-2024-<CODE>`` to derive centroids and
    estimated strengths from the imported TPS. NTT (53) is the full default dataset.
    """
    t0 = time.perf_counter()
    if province_code == ntt.PROVINCE_CODE:
        return dataset_load_default(actor=actor)
    areas = areas if areas is not None else idn_area.read_areas()
    unit_specs = province.build_units(areas, province_code)  # raises ValueError on an unknown code
    contests = province.build_contests(areas, province_code)
    spec = ntt.read_election()
    stages = ntt.read_stages()
    with transaction.atomic():
        _ensure_regions(areas)
        election, _ = Election.objects.update_or_create(
            code=province.election_code(province_code),
            defaults={"name": f"{spec.name} — {Region.objects.get(pk=province_code).name}",
                      "voting_date": spec.voting_date, "province_id": province_code},
        )
        stage_count = _write_stages(election, stages)
        # Generated contests are inserted once; candidate counts entered later are kept on a rerun.
        Contest.objects.bulk_create(
            [Contest(election=election, kind=c.kind, region_id=c.region_code,
                     candidate_pair_count=c.candidate_pair_count, source=c.source) for c in contests],
            ignore_conflicts=True,
        )
        unit_count = _write_units(unit_specs)
        _attach_poldas_to_mabes()
        tps = list(PollingStation.objects.filter(election=election).values_list("district_code", "regency_code",
                                                                                   "lat", "lng"))
        per_regency = Counter(r[1] for r in tps)
        strengths = province.build_strengths(province_code, dict(per_regency))
        kept = set(UnitStrength.objects.filter(unit__code__in={s.unit_code for s in strengths}, estimated=False)
                   .values_list("unit__code", "personnel_type"))
        strength_count = _write_strengths([s for s in strengths if (s.unit_code, s.personnel_type) not in kept])
        centroids = _derive_centroids([r for r in tps if r[2] is not None and r[3] is not None])
        counts = {
            "province": province_code,
            "election": election.code,
            "stages": stage_count,
            "contests": Contest.objects.filter(election=election).count(),
            "units": unit_count,
            "tps": len(tps),
            "strengths": strength_count,
            "centroids_derived": centroids,
            "boundaries": Region.objects.filter(province_code=province_code).exclude(geometry="").count(),
        }
        if audit:
            audit_log(actor=actor, action="dataset.load", object_type="dataset",
                      object_id=f"province-{province_code}-pilkada-2024", data={"counts": counts})
    return {"skipped": False, **counts, "seconds": round(time.perf_counter() - t0, 3)}


def _derive_centroids(points: list[tuple]) -> int:
    """Fill missing kecamatan / kabupaten / province points with the mean of their TPS points (marked)."""
    means = province.mean_points(points)
    missing = list(Region.objects.filter(code__in=list(means), lat__isnull=True))
    for region in missing:
        region.lat, region.lng = means[region.code]
        region.centroid_source = "derived_mean_tps"
    Region.objects.bulk_update(missing, ["lat", "lng", "centroid_source"], batch_size=BATCH_SIZE)
    return len(missing)


def dataset_load_national(*, actor=None) -> dict[str, Any]:
    """All 38 provinces: NTT's default dataset, the generated set-up of the 37 others, Mabes Polri above the Polda."""
    t0 = time.perf_counter()
    default = dataset_load_default(actor=actor)
    areas = idn_area.read_areas()
    codes = sorted(a.code for a in areas if a.level == "province")
    per_province = {}
    with transaction.atomic():
        _ensure_mabes(areas)
        moved = _attach_poldas_to_mabes()
        for code in codes:
            if code != ntt.PROVINCE_CODE:
                per_province[code] = dataset_load_province(province_code=code, areas=areas, audit=False)
        counts = {
            "provinces": len(codes),
            "polda": Unit.objects.filter(parent__code=province.MABES_CODE, level="province").count(),
            "elections": Election.objects.filter(province__isnull=False).count(),
            "units": Unit.objects.count(),
            "contests": Contest.objects.count(),
            "tps": PollingStation.objects.count(),
            "poldas_moved_under_mabes": moved,
        }
        audit_log(actor=actor, action="dataset.load", object_type="dataset", object_id="national-pilkada-2024",
                  data={"counts": counts, "ntt_skipped": bool(default.get("skipped"))})
    return {"skipped": False, **counts, "seconds": round(time.perf_counter() - t0, 3)}
