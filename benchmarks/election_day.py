"""`sinergi bench election-day`: the election day replayed against a real server on PostgreSQL.

(a) NTT at 10x real time (`sinergi replay`): a fresh database (--database-url, default
    postgres://postgres@127.0.0.1:5432/sinergi_bench_election) with the NTT default dataset, the replay's demo
    operator accounts (one per Polres), a gunicorn server (--workers processes, falls back to uvicorn), then
    `sinergi replay --speed 10 --from 06:30 --to 08:30` in its own process: every check-in of the window (opened
    and voting of 9,877 TPS, problems) and the incidents, each officer posting its own check-ins over
    --concurrency keep-alive connections at the scenario's times. Figures: p50/p95/p99 latency per request, schedule
    lag, and "lost" = keys answered accepted/duplicate but not in the database. The default window is the busy
    morning (2 h simulated = 12 min at 10x); `--from 06:00 --to 24:00` replays the whole day (~1.8 h).
(b) National scale: a second fresh database (<name>_national) with every desa of Indonesia and --national-tps
    (435,296) synthetic TPS spread over them (benchmarks/risk_national.generate, moved into the default election
    so the stage calendar applies; the NTT estimate is removed first), a demo national Polri unit whose
    jurisdiction is every province, then 5 check-ins per TPS (opened, voting, closed, counted, handed_over at
    times inside every time zone's windows) posted through POST /api/v1/checkins/batch/ (--batch-size 5000) from
    --national-concurrency connections as fast as the server answers. Figures: check-ins/s and lost.

Options: --ntt-only, --national-only, --from, --to, --speed, --concurrency, --workers, --server,
--national-tps, --batch-size, --national-concurrency, --database-url, --keep (keep the databases).
Exit status 0 when nothing was lost and nothing failed, 1 otherwise, 2 when setup failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _incidents_common as common  # noqa: E402

ROOT = common.ROOT
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sinergi_bench_election"
NATIONAL_TPS = 435_296
KINDS = ("opened", "voting", "closed", "counted", "handed_over")
# UTC times of the 5 check-ins that fall inside each kind's window in WIB, WITA and WIT alike
# (sinergi/data/operations/checkin_schedule.csv): e.g. opened 23:30 UTC = 06:30 WIB / 07:30 WITA / 08:30 WIT.
NATIONAL_AT = {"opened": (-1, "23:30"), "voting": (0, "00:30"), "closed": (0, "06:15"), "counted": (0, "10:00"),
               "handed_over": (0, "13:00")}


def _py(env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True) -> str:
    out = subprocess.run([common.PY, *args], env=env, cwd=ROOT, input=stdin, text=True, capture_output=True,
                         check=False)
    if check and out.returncode:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({out.returncode}):\n{out.stdout[-2000:]}\n"
                           f"{out.stderr[-3000:]}")
    return out.stdout


def _load_avg() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run_ntt(a, data_dir: str) -> dict:
    url = a.database_url
    env = common.server_env(url, SINERGI_DATA_DIR=data_dir)
    t0 = time.perf_counter()
    common.recreate_database(url)
    _py(env, "-m", "sinergi.cli", "manage", "migrate", "--noinput", "-v", "0")
    _py(env, "-m", "sinergi.cli", "load-dataset")
    _py(env, "-m", "sinergi.cli", "manage", "logistics_plan_default")   # ballot-box hand-overs on voting night
    tokens = Path(data_dir) / "replay_tokens.json"
    _py(env, "-m", "sinergi.cli", "replay", "--setup", "--tokens-file", str(tokens))
    print(f"ntt setup: fresh database, NTT dataset, logistics plan, demo operators in {time.perf_counter() - t0:.0f} s (not timed)")
    port = common.free_port()
    server = common.Server(url, a.workers, port, a.server, threads=a.threads, SINERGI_DATA_DIR=data_dir)
    try:
        server.wait()
        print(f"ntt: {server.kind} x{a.workers} on :{port}; replaying {a.start}-{a.end} WITA at {a.speed:g}x "
              f"(load average {_load_avg()})", flush=True)
        out = _py(env, "-m", "sinergi.cli", "replay", "--url", f"http://127.0.0.1:{port}", "--tokens-file",
                  str(tokens), "--speed", str(a.speed), "--from", a.start, "--to", a.end, "--concurrency",
                  str(a.concurrency), "--verify", "db", "--json", check=False)
    finally:
        server.stop()
    report = json.loads(out.strip().splitlines()[-1])
    report["server"] = f"{server.kind} x{a.workers}"
    return report


LATENCY = """
import json, time
from sinergi.incidents.models import Report, TimelineEntry
after = {after}
deadline = time.monotonic() + 600
while Report.objects.filter(pk__gt=after, processing="pending").exists() and time.monotonic() < deadline:
    time.sleep(0.5)
received = dict(Report.objects.filter(pk__gt=after).values_list("id", "received_at"))
lat = sorted((at - received[d["report"]]).total_seconds()
             for d, at in TimelineEntry.objects.filter(kind__in=["reported", "corroborated"])
             .values_list("data", "at") if isinstance(d, dict) and d.get("report") in received)
print(json.dumps({{"reports": len(received), "processed": len(lat),
                  "pending": Report.objects.filter(pk__gt=after, processing="pending").count(), "lat": lat}}))
"""


def run_shipped(a, data_dir: str) -> dict:
    """The NTT replay against `sinergi up` as shipped (embedded SQLite, its web processes, processor loop and
    group commit), and how long each incident report took from acceptance to its incident (the timeline entry
    written when the processor created or corroborated it; the live room shows it at that commit)."""
    from sinergi.core.upserver import UpServer, interruptible

    srv = UpServer(Path(data_dir) / "shipped", env={"SINERGI_LOG_LEVEL": "WARNING"})
    interruptible(srv)
    t0 = time.perf_counter()
    srv.prepare()
    _py(srv.env, "-m", "sinergi.cli", "manage", "logistics_plan_default")
    tokens = Path(data_dir) / "shipped_tokens.json"
    _py(srv.env, "-m", "sinergi.cli", "replay", "--setup", "--tokens-file", str(tokens))
    after = int(srv.setup("from sinergi.incidents.models import Report\n"
                          "print(Report.objects.order_by('-id').values_list('id', flat=True).first() or 0)")
                .strip().splitlines()[-1])
    try:
        srv.start()
        print(f"shipped: `sinergi up` on embedded SQLite, prepared in {time.perf_counter() - t0:.0f} s (not timed); "
              f"replaying {a.start}-{a.end} WITA at {a.speed:g}x (load average {_load_avg()})", flush=True)
        cpu0 = common.tree_cpu_by_role(srv.proc.pid)
        out = _py(srv.env, "-m", "sinergi.cli", "replay", "--url", srv.url, "--tokens-file", str(tokens),
                  "--speed", str(a.speed), "--from", a.start, "--to", a.end, "--concurrency", str(a.concurrency),
                  "--json", check=False)
        cpu1 = common.tree_cpu_by_role(srv.proc.pid)
        report = json.loads(out.strip().splitlines()[-1])
        report["server_cpu_s"] = {k: round(v - cpu0.get(k, 0.0), 1) for k, v in cpu1.items()}
        report["processing"] = json.loads(srv.setup(LATENCY.format(after=after)).strip().splitlines()[-1])
    finally:
        srv.stop()
    report["server"] = "sinergi up (embedded SQLite)"
    return report


def national_setup(n_tps: int) -> dict:
    """Runs inside the national database's Django process (see __main__)."""
    import risk_national
    from django.db import connection, transaction

    from sinergi.accounts.models import Agency
    from sinergi.accounts.services import unit_create, user_create
    from sinergi.api.services import token_issue
    from sinergi.elections.models import Election, PollingStation
    from sinergi.regions.models import Region

    t0 = time.perf_counter()
    made = risk_national.generate(n_tps)
    election = Election.objects.get(code="pilkada-2024")
    synthetic = Election.objects.get(code=risk_national.ELECTION)
    with transaction.atomic():
        PollingStation.objects.filter(election=election).delete()   # the NTT estimate: replaced by synthetic TPS
        moved = PollingStation.objects.filter(election=synthetic).update(election=election)
        provinces = list(Region.objects.filter(level="province").values_list("code", flat=True))
        unit = unit_create(actor=None, agency=Agency.objects.get(code="POLRI"), code="BENCH-NASIONAL",
                           name="Satuan nasional (DEMO, benchmark)", level="province", jurisdiction=provinces,
                           note="demo unit of sinergi bench election-day")
        user = user_create(actor=None, username="bench-nasional", password=None, unit=unit, role="operator")
        token = token_issue(user=user).key
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"token": token, "tps": moved, "provinces": made["provinces"], "villages": made["villages"],
            "seconds": round(time.perf_counter() - t0, 1)}


def run_national(a, data_dir: str) -> dict:
    from sinergi.replay import driver
    from sinergi.replay.scenario import Event

    url = a.database_url.rsplit("/", 1)[0] + "/" + a.database_url.rsplit("/", 1)[1] + "_national"
    env = common.server_env(url, SINERGI_DATA_DIR=data_dir)
    t0 = time.perf_counter()
    common.recreate_database(url)
    _py(env, "-m", "sinergi.cli", "manage", "migrate", "--noinput", "-v", "0")
    _py(env, "-m", "sinergi.cli", "load-dataset")
    made = json.loads(_py(env, str(Path(__file__).resolve()), "--national-setup", str(a.national_tps))
                      .strip().splitlines()[-1])
    import psycopg

    with psycopg.connect(url) as conn:
        codes = [r[0] for r in conn.execute(
            "SELECT code FROM elections_pollingstation ORDER BY regency_code, code").fetchall()]
    print(f"national setup: {made['tps']:,} synthetic TPS in {made['villages']:,} desa of {made['provinces']} "
          f"provinces, demo national unit; {time.perf_counter() - t0:.0f} s (not timed)", flush=True)
    day = dt.date(2024, 11, 27)
    events = []
    for kind in KINDS:
        off, hhmm = NATIONAL_AT[kind]
        at = dt.datetime.combine(day + dt.timedelta(days=off), dt.time.fromisoformat(hhmm), tzinfo=dt.UTC)
        iso = at.isoformat()
        events.extend(Event(at, kind, f"nat:{kind}:{c}", "default", c,
                            {"key": f"nat:{kind}:{c}", "tps": c, "kind": kind, "at": iso}) for c in codes)
    del codes
    port = common.free_port()
    server = common.Server(url, a.workers, port, a.server, threads=2, SINERGI_DATA_DIR=data_dir)
    try:
        server.wait()
        print(f"national: {server.kind} x{a.workers}; posting {len(events):,} check-ins in batches of "
              f"{a.batch_size:,} over {a.national_concurrency} connections (load average {_load_avg()})", flush=True)
        opts = driver.Options(url=f"http://127.0.0.1:{port}", tokens={"default": made["token"]},
                              start=events[0].at, speed=0, concurrency=a.national_concurrency, batch=True,
                              batch_size=a.batch_size, retries=5, timeout=600,
                              progress=lambda line: print(line, flush=True))
        result = driver.run(events, opts)
    finally:
        server.stop()
    report = result.report()
    with psycopg.connect(url) as conn:
        rows, distinct = conn.execute("SELECT count(*), count(DISTINCT key) FROM operations_checkin "
                                      "WHERE key LIKE 'nat:%'").fetchone()
    answered = report["accepted"] + report["duplicate"]
    report.update(stored=rows, distinct=distinct, lost=answered - distinct, duplicates_stored=rows - distinct,
                  rate=report["accepted"] / report["elapsed_s"] if report["elapsed_s"] else 0.0,
                  server=f"{server.kind} x{a.workers}", tps=made["tps"])
    return report


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench election-day")
    ap.add_argument("--ntt-only", action="store_true")
    ap.add_argument("--shipped", action="store_true",
                    help="only the NTT replay, against `sinergi up` as shipped (embedded SQLite), with the time from "
                         "acceptance to incident")
    ap.add_argument("--national-only", action="store_true")
    ap.add_argument("--from", dest="start", default="06:30")
    ap.add_argument("--to", dest="end", default="08:30")
    ap.add_argument("--speed", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--server", default="auto")
    ap.add_argument("--national-tps", type=int, default=NATIONAL_TPS)
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--national-concurrency", type=int, default=2)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    a = ap.parse_args(argv)
    parts: list[str] = []
    national_part = ""
    ok = True
    with tempfile.TemporaryDirectory(prefix="sinergi-bench-election-") as data_dir:
        if a.shipped:
            return _report_shipped(a, data_dir)
        try:
            # National first: its longer setup fails early rather than after the 12-minute NTT replay.
            if not a.ntt_only:
                r = run_national(a, data_dir)
                lat = r["latency_ms"]
                print(f"national: {r['events']:,} check-ins of {r['tps']:,} TPS: accepted {r['accepted']:,}, "
                      f"duplicate {r['duplicate']:,}, rejected {r['rejected']:,} {r['rejected_reasons'] or ''}, "
                      f"failed {r['failed']:,}; {r['requests']:,} batches, per batch p50 {lat.get('p50')} ms, "
                      f"p99 {lat.get('p99')} ms; stored {r['stored']:,} ({r['distinct']:,} distinct keys) in "
                      f"{r['elapsed_s']:.0f} s")
                ok &= r["lost"] == 0 and r["failed"] == 0 and r["duplicates_stored"] == 0
                national_part = (f"national {r['accepted']:,} check-ins ({r['tps']:,} TPS x 5, batch API) at "
                             f"{r['rate']:,.0f}/s, lost {r['lost']}")
            if not a.national_only:
                r = run_ntt(a, data_dir)
                lat, kinds = r["latency_ms"], r["scenario"]["by_kind"]
                print(f"ntt: {r['events']:,} events {kinds}: accepted {r['accepted']:,}, duplicate {r['duplicate']:,}, "
                      f"rejected {r['rejected']:,} {r['rejected_reasons'] or ''}, failed {r['failed']:,}; "
                      f"{r['requests']:,} requests, p50 {lat.get('p50')} ms, p95 {lat.get('p95')} ms, "
                      f"p99 {lat.get('p99')} ms; schedule lag p99 {r['lag_ms'].get('p99')} ms; wall {r['elapsed_s']:.0f} s "
                      f"(planned {r['wall_seconds_planned']:.0f} s); read-back {r.get('verify')}")
                ok &= r["lost"] == 0 and r["failed"] == 0
                parts.insert(0, f"NTT {a.start}-{a.end} WITA at {a.speed:g}x ({r['tps']:,} TPS, {r['sent']:,} check-ins "
                             f"and incidents): p99 {lat.get('p99', float('nan')):.0f} ms, lost {r['lost']}")
            if national_part:
                parts.append(national_part)
        except (RuntimeError, json.JSONDecodeError, IndexError) as exc:
            print(f"election-day: setup or run failed: {exc}")
            return 2
        finally:
            if not a.keep:
                for url in (a.database_url, a.database_url + "_national"):
                    try:
                        _drop(url)
                    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the result
                        print(f"election-day: could not drop {url}: {exc}")
    print(f"election-day: {'; '.join(parts)} (load average {_load_avg()})")
    return 0 if ok else 1


def _drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--national-setup":
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        import django

        django.setup()
        print(json.dumps(national_setup(int(sys.argv[2]))))
        sys.exit(0)
    sys.exit(run(sys.argv[1:]))


def _report_shipped(a, data_dir: str) -> int:
    try:
        r = run_shipped(a, data_dir)
    except (RuntimeError, json.JSONDecodeError, IndexError) as exc:
        print(f"election-day: setup or run failed: {exc}")
        return 2
    lat, kinds, proc = r["latency_ms"], r["scenario"]["by_kind"], r["processing"]
    p = proc["lat"]

    def q(x: float) -> float:
        return p[min(len(p) - 1, int(round(x / 100 * (len(p) - 1))))] if p else float("nan")

    print(f"shipped: {r['events']:,} events {kinds}: accepted {r['accepted']:,}, duplicate {r['duplicate']:,}, "
          f"rejected {r['rejected']:,} {r['rejected_reasons'] or ''}, failed {r['failed']:,}; {r['requests']:,} "
          f"requests, p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms; schedule lag p99 {r['lag_ms'].get('p99')} ms")
    cpu = r.get("server_cpu_s", {})
    print(f"server CPU during the replay: {', '.join(f'{k} {v:.0f} s' for k, v in sorted(cpu.items()))}; web "
          f"{cpu.get('web', 0) / max(r['requests'], 1) * 1000:.1f} ms per request")
    print(f"incident reports {proc['reports']:,}: processed {proc['processed']:,}, still pending {proc['pending']}; "
          f"accept-to-incident p50 {q(50):.1f} s, p99 {q(99):.1f} s, max {q(100):.1f} s")
    print(f"election-day: shipped NTT {a.start}-{a.end} WITA at {a.speed:g}x ({r['sent']:,} check-ins and "
          f"incidents): p99 {lat.get('p99', float('nan')):.0f} ms, accept-to-incident p99 {q(99):.1f} s, "
          f"lost {r['lost']} (load average {_load_avg()})")
    return 0 if r["lost"] == 0 and r["failed"] == 0 and proc["pending"] == 0 else 1
