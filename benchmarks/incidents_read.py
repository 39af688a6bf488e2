"""`sinergi bench incidents-read`: incident list and map API with 1,000,000 incidents in PostgreSQL.

Builds (or reuses with --no-fresh) a database with --n synthetic incidents spread over NTT's kabupaten,
categories, statuses and the last 30 days, then times GET requests over HTTP against the server: the list
(keyset-paginated, with filters by category, status, region, agency, and following the next-page cursor)
and the map endpoint (bbox or filters, the newest 2,000 points: what the situation room asks for), as an admin and as a Polres user whose scope is a subset.
Prints p50/p95 per request kind and the overall p95 last.

Options: --n N (1000000) --requests R (300) --database-url URL --no-fresh --budget-ms (300)
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _incidents_common as common  # noqa: E402

REGENCIES = [f"53.{i:02d}" for i in range(1, 22)] + ["53.71"]
SETUP = """
from sinergi.accounts.models import Agency, Unit, User
from sinergi.accounts.services import unit_create
from sinergi.api.services import token_issue
polri, _ = Agency.objects.get_or_create(code='POLRI', defaults={'name': 'Polri'})
polda = Unit.objects.filter(code='BENCH-POLDA').first() or unit_create(actor=None, agency=polri, parent=None,
    level='province', code='BENCH-POLDA', name='Polda (bench)', jurisdiction=(), audit=False)
polres = Unit.objects.filter(code='BENCH-POLRES').first() or unit_create(actor=None, agency=polri, parent=polda,
    level='regency', code='BENCH-POLRES', name='Polres (bench)', jurisdiction=(), audit=False)
admin, _ = User.objects.get_or_create(username='bench-admin', defaults={'role': 'admin'})
op, _ = User.objects.get_or_create(username='bench-polres', defaults={'role': 'operator', 'unit': polres})
print('IDS', polda.pk, polres.pk)
print('TOKENS', token_issue(user=admin).key, token_issue(user=op).key)
"""


def populate(database_url: str, n: int, polda: int, polres: int) -> float:
    import psycopg

    regs = "ARRAY[" + ",".join(f"'{r}'" for r in REGENCIES) + "]"
    t0 = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE incidents_incident CASCADE")
        cats = [r[0] for r in conn.execute("SELECT id FROM incidents_category ORDER BY id").fetchall()]
        conn.execute(f"""
            INSERT INTO incidents_incident (category_id, severity, status, title, description, occurred_at,
                first_reported_at, last_reported_at, lat, lng, regency_code, location_status, agency_code,
                assigned_unit_id, escalation_level, report_count, created_at, updated_at)
            SELECT (ARRAY{cats})[1 + (g % {len(cats)})], 1 + (g % 4),
                   (ARRAY['reported','verified','assigned','in_progress','resolved','closed'])[1 + (g % 6)],
                   'Insiden sintetis ' || g, 'Uraian sintetis untuk uji baca nomor ' || g,
                   now() - ((g % 43200) || ' minutes')::interval, now() - ((g % 43200) || ' minutes')::interval,
                   now() - ((g % 43200) || ' minutes')::interval + interval '5 minutes',
                   -11.0 + random() * 3.0, 119.0 + random() * 6.0, ({regs})[1 + (g % {len(REGENCIES)})],
                   'resolved', (ARRAY['POLRI','BAWASLU','KPU','BPBD'])[1 + (g % 4)],
                   CASE WHEN g % 10 = 0 THEN {polres} ELSE {polda} END, 0, 1, now(), now()
            FROM generate_series(1, {n}) AS g""")
        conn.execute("ANALYZE incidents_incident")
    return time.perf_counter() - t0


def get(conn: http.client.HTTPConnection, path: str, token: str) -> tuple[float, int, bytes]:
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
    resp = conn.getresponse()
    body = resp.read()
    return time.perf_counter() - t0, resp.status, body


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench incidents-read")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--database-url", default=common.DEFAULT_DB.replace("incidents", "incidents_read"))
    ap.add_argument("--no-fresh", action="store_true")
    ap.add_argument("--server", default="auto")
    ap.add_argument("--budget-ms", type=float, default=300)
    a = ap.parse_args(argv)
    env = common.server_env(a.database_url)
    if not a.no_fresh:
        common.recreate_database(a.database_url)
    common.manage(env, "migrate", "--noinput", "-v", "0")
    out = common.manage(env, "shell", stdin=SETUP)
    polda, polres = (int(x) for x in next(line for line in out.splitlines() if line.startswith("IDS")).split()[1:])
    admin_tok, polres_tok = next(line for line in out.splitlines() if line.startswith("TOKENS")).split()[1:]
    if not a.no_fresh:
        print(f"populated {a.n:,} incidents in {populate(a.database_url, a.n, polda, polres):.1f} s")
    port = common.free_port()
    server = common.Server(a.database_url, 2, port, a.server, threads=4)
    rng = random.Random(7)
    kinds = {
        "list": lambda: "/api/v1/incidents/",
        "list_filtered": lambda: "/api/v1/incidents/?category={}&status=open&region={}".format(
            rng.choice(["violence_clash", "money_politics", "protest", "logistics"]), rng.choice(REGENCIES)),
        "list_agency_hours": lambda: f"/api/v1/incidents/?agency={rng.choice(['POLRI', 'KPU'])}&hours=24",
        "map_bbox": lambda: f"/api/v1/incidents/map/?bbox={(x := rng.uniform(119, 123)):.2f},{(y := rng.uniform(-11, -9)):.2f},{x + 2:.2f},{y + 1.5:.2f}",
        "map_filtered": lambda: f"/api/v1/incidents/map/?category={rng.choice(['protest', 'logistics'])}",
    }
    lat: dict[str, list[float]] = {k: [] for k in [*kinds, "list_next_page", "scoped_list"]}
    bad = 0
    try:
        server.wait()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(5):  # warm-up
            get(conn, "/api/v1/incidents/", admin_tok)
        for i in range(a.requests):
            kind = list(kinds)[i % len(kinds)]
            t, status, body = get(conn, kinds[kind](), admin_tok)
            bad += status != 200
            lat[kind].append(t)
            if kind == "list" and status == 200:
                nxt = json.loads(body).get("next")
                if nxt:
                    u = urlsplit(nxt)
                    t2, s2, _ = get(conn, f"{u.path}?{u.query}", admin_tok)
                    bad += s2 != 200
                    lat["list_next_page"].append(t2)
            if i % 5 == 0:
                t3, s3, _ = get(conn, "/api/v1/incidents/?status=open", polres_tok)
                bad += s3 != 200
                lat["scoped_list"].append(t3)
    finally:
        server.stop()
    every = [x for v in lat.values() for x in v]
    for k, v in lat.items():
        print(f"{k:>18}: n={len(v):4d}  p50 {common.percentile(v, 50) * 1000:7.1f} ms  "
              f"p95 {common.percentile(v, 95) * 1000:7.1f} ms")
    p95 = common.percentile(every, 95) * 1000
    verdict = "OK" if p95 < a.budget_ms and bad == 0 else "OVER BUDGET"
    print(f"incidents read (list + map API, {a.n:,} incidents, PostgreSQL): p95 {p95:.0f} ms over {len(every)} "
          f"requests, {bad} non-200 (budget p95 < {a.budget_ms:.0f} ms: {verdict})")
    return 0 if bad == 0 else 1
