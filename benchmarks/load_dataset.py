"""Benchmark: load the NTT default dataset from scratch into a fresh database.

    python benchmarks/load_dataset.py [--db sqlite|postgres|both] [--pg-url URL]
    sinergi bench load-dataset [--db ...]

SQLite: a new data folder (SINERGI_DATA_DIR) in a temporary directory, i.e. the embedded deployment.
PostgreSQL: a fresh database ``sinergi_bench_load`` on the server of ``--pg-url`` (default
``postgres://postgres@127.0.0.1:5432/postgres``, or env SINERGI_BENCH_PG_URL), dropped afterwards.
Each run migrates in a subprocess (not timed), then times ``sinergi load-dataset --json`` in another
subprocess and a second, idempotent load. The figure is the loader's own ``seconds`` (reading the files,
estimating the TPS list and writing everything); the process wall time including Django start-up is
shown beside it. The headline (last line) is SQLite's when both run. Budget: 30 s.
Exit status: 0 within budget, 1 over budget, 2 when a load failed.
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
PG_DB = "sinergi_bench_load"


def _cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sinergi.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    return proc, time.perf_counter() - t0


def _load(name: str, env: dict[str, str]) -> tuple[float | None, str]:
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    proc, _ = _cli(["manage", "migrate", "--verbosity", "0", "--no-input"], env)
    if proc.returncode:
        return None, f"load-dataset {name}: migrate failed: {proc.stderr.strip()[-500:]}"
    proc, wall = _cli(["load-dataset", "--json"], env)
    if proc.returncode:
        return None, f"load-dataset {name}: FAILED: {proc.stderr.strip()[-500:]}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    again, wall_again = _cli(["load-dataset", "--json"], env)
    skipped = again.returncode == 0 and json.loads(again.stdout.strip().splitlines()[-1]).get("skipped")
    seconds = float(summary["seconds"])
    print(f"load-dataset {name} detail: {summary['tps']:,} TPS, {sum(summary['regions'].values()):,} regions, "
          f"{summary['islands']:,} islands, {summary['units']} units; reading+estimate "
          f"{summary['seconds_read']:.1f} s, process wall {wall:.1f} s; second load "
          f"{'skipped' if skipped else 'NOT skipped'} in {wall_again:.1f} s (process)")
    return seconds, f"load-dataset {name}: {seconds:.1f} s (budget {BUDGET_S:.0f} s)"


def _run_sqlite() -> tuple[float | None, str]:
    with tempfile.TemporaryDirectory(prefix="sinergi-bench-load-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["SINERGI_DATA_DIR"] = tmp
        return _load("sqlite", env)


def _run_postgres(server_url: str) -> tuple[float | None, str]:
    try:
        import psycopg
    except ImportError:
        return None, "load-dataset postgres: psycopg not installed"
    parts = urlsplit(server_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{PG_DB}"))
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
    except psycopg.Error as exc:
        return None, f"load-dataset postgres: cannot create database: {exc}"
    try:
        with tempfile.TemporaryDirectory(prefix="sinergi-bench-load-") as tmp:
            env = {**os.environ, "DATABASE_URL": bench_url, "SINERGI_DATA_DIR": tmp}
            return _load("postgres", env)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sinergi bench load-dataset")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("SINERGI_BENCH_PG_URL",
                                                           "postgres://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args(argv)
    results: list[tuple[float | None, str]] = []
    if args.db in ("postgres", "both"):
        results.append(_run_postgres(args.pg_url))
        if args.db == "both":
            print(results[-1][1])
    if args.db in ("sqlite", "both"):
        results.append(_run_sqlite())
    print(results[-1][1])  # the headline
    if any(seconds is None for seconds, _ in results):
        return 2
    return 1 if any(seconds is not None and seconds > BUDGET_S for seconds, _ in results) else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
