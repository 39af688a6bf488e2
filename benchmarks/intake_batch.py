"""`sinergi bench intake-batch`: offline-sync batch intake over HTTP into PostgreSQL.

Fresh database (as `sinergi bench intake`), server in deferred-processing mode, --concurrency clients each
posting batches of --batch reports (new keys) to /api/v1/incident-reports/batch/ for --duration seconds.
Zero loss: rows stored == items answered "accepted", no duplicate keys. Also prints the CPU the server
processes and this load generator used per report, and the load average. Prints the headline last.

Options: --duration S (30) --batch N (2000) --concurrency C (4) --workers W (2) --database-url URL --budget (10000)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _incidents_common as common  # noqa: E402

TEXTS = ["Massa bentrok saling lempar batu di depan TPS", "Ada pembagian amplop berisi uang ke warga",
         "Surat suara kurang di TPS", "Banjir merendam lokasi TPS", "Baliho paslon dirusak orang tak dikenal"]


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench intake-batch")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--server", default="auto")
    ap.add_argument("--database-url", default=common.DEFAULT_DB)
    ap.add_argument("--no-fresh", action="store_true")
    ap.add_argument("--budget", type=float, default=10000)
    a = ap.parse_args(argv)
    token = common.prepare(a.database_url, fresh=not a.no_fresh)
    port = common.free_port()
    server = common.Server(a.database_url, a.workers, port, a.server, threads=8, app="sinergi.incidents.wsgi:application",
                           SINERGI_INCIDENT_PROCESSING="deferred")
    prefix = f"bb-{uuid.uuid4().hex[:8]}-"

    def body(c, i):
        return common.dumps({"reports": [{"key": f"{prefix}{c}-{i}-{j}", "text": TEXTS[j % 5],
                                          "lat": -10.17 + (j % 100) * 1e-3, "lng": 123.6}
                                         for j in range(a.batch)]})

    print(f"configuration: PostgreSQL ({a.database_url.rsplit('/', 1)[-1]}), {server.kind} x{a.workers}, batches of "
          f"{a.batch} through the batch intake service, deferred processing (acceptance only; processing is "
          "`sinergi bench processing`)")
    try:
        server.wait()
        common.load(port, "/api/v1/incident-reports/batch/", token,
                    lambda c, i: common.dumps({"reports": [{"key": f"w{prefix}{c}-{i}-{j}", "text": "ribut"}
                                                           for j in range(100)]}), duration=2, concurrency=2)
        load_before, server_cpu0, client_cpu0 = common.loadavg(), common.tree_cpu(server.proc.pid), time.process_time()
        stats = common.load(port, "/api/v1/incident-reports/batch/", token, body, duration=a.duration,
                            concurrency=a.concurrency, keep_bodies=True)
        server_cpu = common.tree_cpu(server.proc.pid) - server_cpu0
        client_cpu = time.process_time() - client_cpu0
        load_after = common.loadavg()
    finally:
        server.stop()
    accepted = rejected = duplicate = 0
    for status, data in stats["bodies"]:
        if status == 200:
            d = json.loads(data)
            accepted += d["accepted"]
            rejected += d["rejected"]
            duplicate += d["duplicate"]
    rows, distinct = common.count_reports(a.database_url, prefix)
    rate = accepted / stats["elapsed"]
    p50, p99 = (common.percentile(stats["lat"], q) * 1000 for q in (50, 99))
    lost = accepted - rows
    print(f"server: {server.kind} x{a.workers}, batches {sum(stats['status'].values())} of {a.batch}, "
          f"statuses {stats['status']}; accepted {accepted}, duplicate {duplicate}, rejected {rejected}")
    print(f"rows stored {rows} ({distinct} distinct keys), lost {lost}")
    print(f"CPU per report: server {server_cpu / max(accepted, 1) * 1e6:.0f} us, load generator "
          f"{client_cpu / max(accepted, 1) * 1e6:.0f} us; load average before {load_before}, after {load_after}")
    verdict = "OK" if rate >= a.budget and lost == 0 else "BELOW BUDGET" if lost == 0 else "LOSS"
    print(f"intake (batch, HTTP, PostgreSQL): {rate:,.0f} reports/s over {stats['elapsed']:.0f} s, "
          f"batch of {a.batch}: p50 {p50:.0f} ms, p99 {p99:.0f} ms per batch, lost {lost} "
          f"(budget >= {a.budget:,.0f}/s: {verdict})")
    return 0 if lost == 0 and rows == distinct else 1
