"""`sinergi bench intake`: single-report HTTP intake into PostgreSQL, sustained, with zero loss.

Starts a fresh PostgreSQL database (default postgres://postgres@127.0.0.1:5432/sinergi_bench_incidents, or
--database-url), migrates it, starts the server with --workers processes (gunicorn with threaded workers on
sinergi.incidents.wsgi — Django plus the intake fast lane — if installed, else uvicorn) with group commit on,
in deferred-processing mode (reports are stored durably on intake; dedup/routing run in the worker,
`manage.py incidents_process`), and drives POST /api/v1/incident-reports/ from --concurrency keep-alive
connections (a light asyncio HTTP/1.1 client in this process; the next request on a connection is sent
after the previous answer) for --duration seconds, every request with a new idempotency key. Afterwards it
counts the rows: zero loss means rows stored == 2xx responses, with no duplicate keys. Also prints the CPU
the server processes and this load generator used per report, and the load average (the machine is shared).
Prints the headline last.

Options: --duration S (60) --concurrency C (64) --workers W (2) --server auto|gunicorn|uvicorn
--threads T (64 per process) --app MODULE:NAME (sinergi.incidents.wsgi:application; config.wsgi:application =
without the fast lane)
--database-url URL --no-fresh --budget RPS (1000) --no-group-commit.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _incidents_common as common  # noqa: E402

TEXTS = ["Massa bentrok saling lempar batu di depan TPS", "Ada pembagian amplop berisi uang ke warga",
         "Surat suara kurang di TPS", "Banjir merendam lokasi TPS", "Baliho paslon dirusak orang tak dikenal"]


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench intake")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--server", default="auto")
    ap.add_argument("--app", default="sinergi.incidents.wsgi:application")
    ap.add_argument("--threads", type=int, default=64)
    ap.add_argument("--database-url", default=common.DEFAULT_DB)
    ap.add_argument("--no-fresh", action="store_true")
    ap.add_argument("--budget", type=float, default=1000)
    ap.add_argument("--no-group-commit", dest="group_commit", action="store_false")
    a = ap.parse_args(argv)
    token = common.prepare(a.database_url, fresh=not a.no_fresh)
    port = common.free_port()
    server = common.Server(a.database_url, a.workers, port, a.server, threads=a.threads, app=a.app, SINERGI_INCIDENT_PROCESSING="deferred",
                           SINERGI_INCIDENT_GROUP_COMMIT="1" if a.group_commit else "")
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    print(f"configuration: PostgreSQL ({a.database_url.rsplit('/', 1)[-1]}), {server.kind} x{a.workers} on "
          f"{a.app if server.kind == 'gunicorn' else 'config.asgi (ASGI lane)'}, group commit "
          f"{'on' if a.group_commit else 'off'}, deferred processing (acceptance only, not processing); a production-"
          "style node, not what `sinergi up` ships (that is `sinergi bench shipped-intake`)")
    try:
        server.wait()
        warm = common.load(port, "/api/v1/incident-reports/", token,
                           lambda c, i: common.dumps({"key": f"warm-{prefix}{c}-{i}", "text": TEXTS[i % 5]}),
                           duration=3, concurrency=a.concurrency)
        print(f"warm-up: {sum(warm['status'].values())} requests, statuses {warm['status']}")
        load_before, server_cpu0, client_cpu0 = common.loadavg(), common.tree_cpu(server.proc.pid), time.process_time()
        stats = common.load(port, "/api/v1/incident-reports/", token,
                            lambda c, i: common.dumps({"key": f"{prefix}{c}-{i}", "text": TEXTS[i % 5],
                                                       "lat": -10.17 + (i % 100) * 1e-3, "lng": 123.6}),
                            duration=a.duration, concurrency=a.concurrency)
        server_cpu = common.tree_cpu(server.proc.pid) - server_cpu0
        client_cpu = time.process_time() - client_cpu0
        load_after = common.loadavg()
    finally:
        server.stop()
    ok = sum(n for s, n in stats["status"].items() if 200 <= s < 300)
    total = sum(stats["status"].values())
    rows, distinct = common.count_reports(a.database_url, prefix)
    rate = ok / stats["elapsed"]
    p50, p99 = (common.percentile(stats["lat"], q) * 1000 for q in (50, 99))
    lost = ok - rows
    print(f"server: {server.kind} x{a.workers} ({a.app if server.kind == 'gunicorn' else 'config.asgi'}), group commit "
          f"{'on' if a.group_commit else 'off'}, concurrency {a.concurrency}, statuses {stats['status']}")
    print(f"CPU per request: server {server_cpu / max(total, 1) * 1000:.2f} ms, load generator "
          f"{client_cpu / max(total, 1) * 1000:.2f} ms; load average before {load_before}, after {load_after}")
    print(f"requests {total}, 2xx {ok}, rows stored {rows} ({distinct} distinct keys), lost {lost}")
    verdict = "OK" if rate >= a.budget and lost == 0 and rows == distinct else "BELOW BUDGET" if lost == 0 else "LOSS"
    print(f"intake (single, HTTP, PostgreSQL): {rate:,.0f} reports/s over {stats['elapsed']:.0f} s, "
          f"{a.concurrency} connections, p50 {p50:.1f} ms, p99 {p99:.1f} ms, lost {lost}, duplicates {rows - distinct} "
          f"(budget >= {a.budget:,.0f}/s: {verdict})")
    return 0 if lost == 0 and rows == distinct else 1
