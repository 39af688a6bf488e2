"""`sinergi bench shipped-intake`: single-report intake as `sinergi up` ships it, end to end.

Starts `sinergi up` exactly as an operator does (sinergi/core/upserver.py: `sinergi up --no-serve`, then
`sinergi up`, on a fresh embedded SQLite database in a temporary data folder: the web processes sized to the
machine, the task worker, the report processor loop and the tick), creates a reporting user with an API token,
and drives POST /api/v1/incident-reports/ from --clients keep-alive connections for --duration seconds (every
request a new key, texts and places of the triage development set). Then it waits until the processor loop has
turned every accepted report into an incident and counts: lost = 2xx answers without a stored report. Stops every
process it started, also on Ctrl-C. Prints the configuration first and the headline last.

Options: --duration S (30) --clients C (8) --data-dir DIR (temporary) --keep (keep the data folder)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _incidents_common as common  # noqa: E402

from sinergi.core.upserver import UpServer, interruptible  # noqa: E402

TOKEN = """
from sinergi.accounts.models import User
from sinergi.api.services import token_issue
u, _ = User.objects.get_or_create(username='bench-reporter', defaults={'role': 'operator'})
print('TOKEN', token_issue(user=u).key)
"""

COUNT = """
import json, time
from sinergi.incidents.models import Report
prefix = {prefix!r}
deadline = time.monotonic() + {wait}
while True:
    qs = Report.objects.filter(idempotency_key__startswith=prefix)
    pending = qs.filter(processing='pending').count()
    if not pending or time.monotonic() > deadline:
        break
    time.sleep(0.5)
print(json.dumps({{"rows": qs.count(), "distinct": qs.values('idempotency_key').distinct().count(),
                  "pending": pending, "with_incident": qs.filter(incident__isnull=False).count()}}))
"""


def texts() -> list[str]:
    path = Path(__file__).resolve().parents[1] / "sinergi" / "data" / "incidents" / "triage_dev" / "dev.jsonl"
    try:
        return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError:
        return ["Massa bentrok saling lempar batu di depan TPS", "Ada pembagian amplop berisi uang ke warga"]


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench shipped-intake")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--data-dir", default="")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args(argv)
    data_dir = Path(a.data_dir or tempfile.mkdtemp(prefix="sinergi-shipped-"))
    srv = UpServer(data_dir, a.port or None, env={"SINERGI_LOG_LEVEL": "WARNING"})
    interruptible(srv)
    pool = texts()
    rnd = random.Random(20)
    prefix = f"si-{uuid.uuid4().hex[:8]}-"

    def body(c, i):
        r = rnd.random()
        return common.dumps({"key": f"{prefix}{c}-{i}", "text": pool[(c * 7919 + i) % len(pool)][:2000],
                             "lat": -10.3 + r * 0.6, "lng": 123.5 + r * 0.5})

    try:
        t0 = time.perf_counter()
        srv.prepare()
        srv.start()
        print(f"configuration: `sinergi up` on embedded SQLite (WAL) in {data_dir}, as shipped; "
              f"prepared and started in {time.perf_counter() - t0:.0f} s; {a.clients} clients, {a.duration:.0f} s")
        print(f"server: {common.tree_roles(srv.proc.pid)}; {os.cpu_count()} cores")
        token = next(line.split()[1] for line in srv.setup(TOKEN).splitlines() if line.startswith("TOKEN"))
        common.load(srv.port, "/api/v1/incident-reports/", token,
                    lambda c, i: common.dumps({"key": f"w{prefix}{c}-{i}", "text": pool[i % len(pool)][:500]}),
                    duration=3, concurrency=a.clients)
        load_before, cpu0 = common.loadavg(), common.tree_cpu(srv.proc.pid)
        stats = common.load(srv.port, "/api/v1/incident-reports/", token, body, duration=a.duration,
                            concurrency=a.clients)
        t_end = time.perf_counter()
        cpu = common.tree_cpu(srv.proc.pid) - cpu0
        counts = json.loads(srv.setup(COUNT.format(prefix=prefix, wait=300)).strip().splitlines()[-1])
        drained = time.perf_counter() - t_end
        load_after = common.loadavg()
    finally:
        srv.stop()
        if not a.keep and not a.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    ok = sum(n for s, n in stats["status"].items() if 200 <= s < 300)
    rate = ok / stats["elapsed"]
    p50, p99 = (common.percentile(stats["lat"], q) * 1000 for q in (50, 99))
    lost = ok - counts["rows"]
    print(f"statuses {stats['status']}; rows stored {counts['rows']} ({counts['distinct']} distinct keys), "
          f"turned into incidents {counts['with_incident']}, still pending {counts['pending']} "
          f"({drained:.1f} s after the load stopped)")
    print(f"server CPU per report {cpu / max(ok, 1) * 1000:.2f} ms; load average before {load_before}, "
          f"after {load_after} (shared machine: numbers under load)")
    print(f"shipped-intake: {rate:,.0f} reports/s, {a.clients} clients, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
          f"lost {lost}")
    return 0 if lost == 0 and counts["rows"] == counts["distinct"] else 1
