"""Benchmark: recompute and store the vulnerability assessments of a national synthetic set on PostgreSQL.

    python benchmarks/risk_national.py [--pg-url URL] [--tps 435296] [--keep]
    sinergi bench risk-national

A fresh database ``sinergi_bench_risk`` is created on the server of ``--pg-url`` (default
``postgres://postgres@127.0.0.1:5432/postgres`` or env SINERGI_BENCH_PG_URL) and dropped afterwards (unless
--keep). Not timed: migrate, load the national administrative units the project ships (``sinergi
load-dataset``: all 38 provinces' 83,762 desa/kelurahan), then generate ``--tps`` synthetic TPS spread over
every desa (at least one each; coordinates: NTT's real desa points, elsewhere synthetic points per province)
with their latest indicator values (the demo generator's model, 25 Bawaslu indicators, packed per TPS), and
seed the catalog and the default published model. Timed: ``sinergi risk recompute --json`` in a new process,
i.e. read every TPS and its inputs, score, roll up to kecamatan/kabupaten/province and replace all
assessments (COPY), twice: the figure is the second run (replacing every stored row, the steady state), the
recompute's own time; the process wall time is shown beside it.
Budget: 30 s. Exit status: 0 within budget, 1 over, 2 failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BUDGET_S = 30.0
ROOT = Path(__file__).resolve().parent.parent
PG_DB = "sinergi_bench_risk"
ELECTION = "bench-national"
NATIONAL_TPS = 435_296


def _cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return proc, time.perf_counter() - t0


def generate(n_tps: int, seed: int = 7) -> dict:
    """Runs inside the benchmark database's Django process: synthetic national TPS and their packed inputs."""
    import datetime as dt
    import hashlib

    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from sinergi.elections.models import Election, PollingStation
    from sinergi.regions.models import Region
    from sinergi.risk import demo, services
    from sinergi.risk.compute import _bulk_insert
    from sinergi.risk.models import Indicator, RiskInput

    t0 = time.perf_counter()
    villages = list(Region.objects.filter(level="village").order_by("code").values_list("code", "lat", "lng"))
    rng = np.random.default_rng(seed)
    v = len(villages)
    counts = rng.multinomial(max(n_tps - v, 0), np.full(v, 1.0 / v)) + 1
    counts = np.minimum(counts, 999)

    def point(code: str) -> tuple[float, float]:
        h = hashlib.sha256(code[:2].encode()).digest()
        return -10.5 + 16.0 * h[0] / 255, 96.0 + 44.0 * h[1] / 255

    election, _ = Election.objects.get_or_create(code=ELECTION, defaults={
        "name": "Sintetis nasional (benchmark)", "voting_date": dt.date(2024, 11, 27)})
    fields = [f for f in PollingStation._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    jitter = rng.normal(0, 0.3, (int(counts.sum()), 2))
    rows = []
    k = 0
    for (code, lat, lng), n in zip(villages, counts.tolist(), strict=True):
        if lat is None:
            lat, lng = point(code)
            lat += float(jitter[k, 0]) * 3
            lng += float(jitter[k, 1]) * 3
        for number in range(1, n + 1):
            row = dict(defaults)
            row.update(election_id=election.pk, village_id=code, district_code=code[:8], regency_code=code[:5],
                       number=number, code=f"{code}-{number:03d}", voters=int(300 + (k % 280)),
                       voters_estimated=True, lat=float(lat) + float(jitter[k, 0]) * 0.01,
                       lng=float(lng) + float(jitter[k, 1]) * 0.01, location_source="estimated_desa",
                       location_estimated=True, source="sintetis (benchmark)")
            rows.append(tuple(row[f.attname] for f in fields))
            k += 1
    with transaction.atomic():
        _bulk_insert(PollingStation._meta.db_table, [f.column for f in fields], rows)
    del rows
    t1 = time.perf_counter()
    services.risk_seed_defaults(actor=None, election=election)
    inds = {i.code: i for i in Indicator.objects.filter(scope="tps")}
    drows = [r for r in demo.read_demo_rows() if r.code in inds]
    tps = list(PollingStation.objects.filter(election=election).order_by("id")
               .values_list("id", "district_code", "regency_code"))
    values, observed = demo.generate([t[1] for t in tps], [t[2] for t in tps],
                                     [inds[r.code].value_type for r in drows], drows, seed=seed)
    n_slots = max(i.slot for i in Indicator.objects.all()) + 1
    packed = np.full((len(tps), n_slots), np.nan, dtype="<f4")
    packed[:, [inds[r.code].slot for r in drows]] = values
    now = timezone.now()
    blobs = packed.tobytes()
    width = 4 * n_slots
    inputs = [(election.pk, tps[i][0], blobs[i * width:(i + 1) * width], True, now)
              for i in range(len(tps)) if observed[i]]
    with transaction.atomic():
        _bulk_insert(RiskInput._meta.db_table, ["election_id", "polling_station_id", "values", "is_demo",
                                                 "updated_at"], inputs)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"tps": len(tps), "villages": v, "provinces": len({c[:2] for c, _a, _b in villages}),
            "inputs": len(inputs), "seconds_tps": round(t1 - t0, 1), "seconds_inputs": round(time.perf_counter() - t1, 1)}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sinergi bench risk-national")
    parser.add_argument("--pg-url", default=os.environ.get("SINERGI_BENCH_PG_URL",
                                                           "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--tps", type=int, default=NATIONAL_TPS)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)
    try:
        import psycopg
    except ImportError:
        print("risk-national: psycopg not installed")
        return 2
    parts = urlsplit(args.pg_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{PG_DB}"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    try:
        with tempfile.TemporaryDirectory(prefix="sinergi-bench-risk-") as tmp:
            env = {**os.environ, "DATABASE_URL": bench_url, "SINERGI_DATA_DIR": tmp,
                   "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
            py = sys.executable
            for step in (["manage", "migrate", "--verbosity", "0", "--no-input"], ["load-dataset"]):
                proc, wall = _cli([py, "-m", "sinergi.cli", *step], env)
                if proc.returncode:
                    print(f"risk-national: {step[0]} failed: {proc.stderr.strip()[-800:]}")
                    return 2
            proc, wall = _cli([py, str(Path(__file__).resolve()), "--generate", str(args.tps)], env)
            if proc.returncode:
                print(f"risk-national: generating the synthetic set failed: {proc.stderr.strip()[-1500:]}")
                return 2
            made = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"risk-national setup: {made['tps']:,} synthetic TPS in {made['villages']:,} desa of "
                  f"{made['provinces']} provinces, {made['inputs']:,} with indicator inputs "
                  f"(generated in {wall:.0f} s, not timed)")
            # First run stores into an empty table; the second replaces every row (the steady state): the figure.
            for attempt in ("first (empty table)", "second (replacing every row)"):
                proc, wall = _cli([py, "-m", "sinergi.cli", "risk", "recompute", "--election", ELECTION, "--json"],
                                  env)
                if proc.returncode:
                    print(f"risk-national: recompute failed: {proc.stderr.strip()[-1500:]}")
                    return 2
                out = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"risk-national {attempt}: {float(out['seconds']):.1f} s, stages {out.get('timing')}")
            seconds = float(out["seconds"])
            tiers = out["tiers"]
            print(f"risk-national detail: tiers {tiers}; process wall {wall:.1f} s")
            print(f"risk-national: {seconds:.1f} s to recompute and store {out['tps']:,} TPS on PostgreSQL "
                  f"(budget {BUDGET_S:.0f} s)")
            return 0 if seconds <= BUDGET_S else 1
    finally:
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--generate":
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        import django

        django.setup()
        print(json.dumps(generate(int(sys.argv[2]))))
        sys.exit(0)
    sys.exit(run(sys.argv[1:]))
