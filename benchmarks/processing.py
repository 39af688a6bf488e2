"""`sinergi bench processing`: stored reports to routed incidents, the processor's work, on either database.

Prepares a fresh database as `sinergi up --no-serve` does (the NTT dataset, categories, routing, deadlines): the
embedded SQLite in a temporary data folder by default, or PostgreSQL when DATABASE_URL is set (that database is
dropped and created again — give a database of your own). Stores --reports offline reports through the batch
intake service (as a phone syncing after a day without signal: texts of the triage development set, places spread
over Kupang and Timor), then runs the processor (`process_pending`, the code of the `sinergi up` processor loop)
until none is pending. Accept-to-incident latency of a report = when its chunk committed - when it was accepted.
Counts: lost = accepted reports without an incident. Stops every process it started, also on Ctrl-C.

Options: --reports N (20000) --data-dir DIR (temporary)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sinergi.core.upserver import UpServer, interruptible  # noqa: E402

SCRIPT = """
import json, random, time
from sinergi.core import clock
from sinergi.incidents import services
from sinergi.incidents.models import Report
from sinergi.incidents.triage import dev_set
from django.db import connection

pool = [r["text"] for r in dev_set()]
rnd = random.Random(20)
N = {n}
items = []
for i in range(N):
    r = rnd.random()
    items.append(services.ReportInput(key=f"proc-{{i}}", text=pool[i % len(pool)][:2000], channel="api",
                                      lat=-10.3 + r * 0.6, lng=123.5 + rnd.random() * 0.5))
t0 = time.perf_counter()
accepted = 0
for s in range(0, N, 5000):
    res = services.report_submit_batch(actor=None, items=items[s:s + 5000])
    accepted += sum(1 for x in res if x.status == "accepted")
t_stored = time.perf_counter() - t0
from sinergi.incidents import triage as _t
_t.triager()  # the processor loop has it loaded long before a burst
lat = []
t1 = time.perf_counter()
while True:
    ids = list(Report.objects.filter(processing="pending").order_by("id").values_list("id", flat=True)[:5000])
    if not ids:
        break
    size = services.process_chunk()
    batch = services._Batch()
    for s in range(0, len(ids), size):
        done = services._process_chunk(ids[s:s + size], batch)
        now = clock.now()
        lat += [(now - r.received_at).total_seconds() for r in done]
elapsed = time.perf_counter() - t1
qs = Report.objects.filter(idempotency_key__startswith="proc-")
print(json.dumps({{"vendor": connection.vendor, "accepted": accepted, "stored_s": t_stored, "elapsed": elapsed,
                  "processed": len(lat), "with_incident": qs.filter(incident__isnull=False).count(),
                  "pending": qs.filter(processing="pending").count(), "lat": sorted(lat),
                  "incidents": len(set(qs.values_list("incident_id", flat=True))), "chunk": services.process_chunk()}}))
"""


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench processing")
    ap.add_argument("--reports", type=int, default=20000)
    ap.add_argument("--data-dir", default="")
    a = ap.parse_args(argv)
    data_dir = Path(a.data_dir or tempfile.mkdtemp(prefix="sinergi-processing-"))
    url = os.environ.get("DATABASE_URL", "")
    env = {"SINERGI_INCIDENT_PROCESSING": "deferred", "SINERGI_LOG_LEVEL": "WARNING"}
    if url:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import _incidents_common as common

        common.recreate_database(url)
        env["DATABASE_URL"] = url
    srv = UpServer(data_dir, env=env)  # only its preparation and setup scripts: no server is started
    interruptible(srv)
    try:
        srv.prepare()
        with open("/proc/loadavg") as f:
            load_before = " ".join(f.read().split()[:3])
        out = json.loads(srv.setup(SCRIPT.format(n=a.reports), timeout=1800).strip().splitlines()[-1])
        with open("/proc/loadavg") as f:
            load_after = " ".join(f.read().split()[:3])
    finally:
        srv.stop()
        if not a.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    db = "PostgreSQL" if out["vendor"] == "postgresql" else "SQLite (WAL, embedded default)"
    lat = out["lat"]
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))] if lat else float("nan")
    lost = out["accepted"] - out["with_incident"]
    rate = out["processed"] / out["elapsed"] if out["elapsed"] else 0
    print(f"configuration: {db}, processor chunks of {out['chunk']} reports, {out['accepted']} offline reports "
          f"stored in {out['stored_s']:.1f} s through the batch intake service")
    print(f"incidents {out['incidents']}, reports still pending {out['pending']}; load average before "
          f"{load_before}, after {load_after} (shared machine: numbers under load)")
    print(f"processing: {out['processed']} reports to incidents in {out['elapsed']:.1f} s, {rate:,.0f}/s, "
          f"accept-to-incident p99 {p99:.1f} s, lost {lost}")
    return 0 if lost == 0 else 1
