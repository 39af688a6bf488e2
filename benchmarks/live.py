"""`sinergi bench live`: live events from an API write to every allowed WebSocket client, none missed, none leaked.

Starts Sinergi as `sinergi up` starts it (sinergi.core.upserver: a fresh data folder, the embedded SQLite default
with its cross-process channel layer, or Redis with --redis; uvicorn, task worker, incident processor and tick),
creates --users users of several agencies and roles (Polda analysts, Polres and Polsek operators, KPU, Bawaslu,
Kodim), each with a signed-in session, and opens --clients WebSocket clients (each user on the situation room feed
/ws/insiden/ and on the command dashboard feed /ws/operasi/). Then, one every --interval seconds, it creates
incidents (POST /api/v1/incident-reports/, places spread over every kabupaten) and TPS check-ins
(POST /api/v1/checkins/) through the API. Afterwards the same selectors the pages use (incident_list, checkin_list,
alerts_for) say which user may read each record: an allowed (client, record) pair without an event is "missed",
an event for a record the client's user may not read is "leaked". Latency: from sending the API request to the
first event naming the record at that client. Every process started is stopped at the end, also on SIGINT/SIGTERM.

Options: --clients 50 --incidents 60 --checkins 60 --interval 0.1 --redis [URL] --keep (keep the data folder).
Prints on its last line: `live: N events, M clients, p95 X ms, missed 0, leaked 0`. Exit 1 when anything was
missed or leaked or p95 >= 1,000 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

from sinergi.core.upserver import UpServer, interruptible

SETUP = r"""
import json, random
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from sinergi.accounts.models import Unit
from sinergi.accounts.permissions import has_perm
from sinergi.accounts.services import user_create
from sinergi.api.services import token_issue
from sinergi.elections.models import PollingStation
from sinergi.incidents.permissions import can
n_users = %(users)d
plan = [("POLDA-NTT", "analyst")] * 3
plan += [(u, "operator") for u in Unit.objects.filter(code__startswith="POLRES-").order_by("code").values_list("code", flat=True)]
plan += [(u, "operator") for u in Unit.objects.filter(code__startswith="POLSEK-53.71").order_by("code").values_list("code", flat=True)[:3]]
for prefix in ("KPU-", "BAWASLU-", "KODIM-"):
    plan += [(u, "operator") for u in Unit.objects.filter(code__startswith=prefix).order_by("code").values_list("code", flat=True)[:4]]
users, out = [], []
for i, (code, role) in enumerate(plan):
    if len(out) >= n_users:
        break
    unit = Unit.objects.get(code=code)
    u = user_create(actor=None, username=f"bench-live-{i:02d}", password=None, unit=unit, role=role)
    feeds = [f for f, ok in (("/ws/insiden/", can(u, "incident.view")), ("/ws/operasi/", has_perm(u, "ops.view"))) if ok]
    if not feeds:
        continue
    s = SessionStore()
    s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create()
    out.append({"user": u.username, "unit": code, "role": role, "session": s.session_key, "feeds": feeds})
reporter = user_create(actor=None, username="bench-live-reporter", password=None, unit=Unit.objects.get(code="POLDA-NTT"), role="operator")
rng = random.Random(7)
tps = list(PollingStation.objects.order_by("code").values_list("code", flat=True))
print(json.dumps({"users": out, "token": token_issue(user=reporter).key, "tps": rng.sample(tps, 400)}))
"""

ORACLE = r"""
import json
from sinergi.accounts.models import User
from sinergi.incidents.models import Report
from sinergi.incidents.selectors import incident_list, sees_all
from sinergi.operations.selectors import alerts_for, checkin_list
q = json.loads(open(%(path)r).read())
out = {}
for name in q["users"]:
    u = User.objects.get(username=name)
    inc = incident_list(user=u)
    reports = Report.objects.filter(pk__in=q["report"])
    if not sees_all(u):
        reports = reports.filter(incident__in=inc.values("pk"))
    out[name] = {"incident": list(inc.filter(pk__in=q["incident"]).values_list("pk", flat=True)),
                 "report": list(reports.values_list("pk", flat=True)),
                 "checkin": list(checkin_list(u).filter(pk__in=q["checkin"]).values_list("pk", flat=True)),
                 "alert": list(alerts_for(u, open_only=False).filter(pk__in=q["alert"]).values_list("pk", flat=True))}
print(json.dumps(out))
"""

TEXTS = ["Bentrok massa pendukung, saling lempar batu di dekat TPS", "Perusakan baliho dan posko pasangan calon",
         "Intimidasi terhadap pemilih oleh sekelompok orang", "Kerusuhan kecil setelah penghitungan suara"]
CATEGORIES = ["violence_clash", "property_damage", "intimidation", "violence_clash"]


def _post(url: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Token {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - the local server
        return json.loads(resp.read())


async def _drive(srv: UpServer, info: dict, a) -> tuple[list, dict, int]:
    import websockets

    sockets = []   # (user, feed, ws, received list)
    origin = srv.url
    ws_url = srv.url.replace("http://", "ws://")
    for u in info["users"]:
        for feed in u["feeds"]:
            if len(sockets) >= a.clients:
                break
            ws = await websockets.connect(ws_url + feed, origin=origin,
                                          additional_headers={"Cookie": f"sessionid={u['session']}"})
            sockets.append({"user": u["user"], "feed": feed, "ws": ws, "got": []})

    async def reader(s):
        try:
            async for raw in s["ws"]:
                s["got"].append((time.perf_counter(), json.loads(raw)))
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(reader(s)) for s in sockets]
    await asyncio.sleep(1.0)
    refused = sum(1 for s in sockets if s["ws"].close_code is not None)
    sent: dict[tuple[str, int], float] = {}
    rng = random.Random(11)
    tps = info["tps"]
    jobs = ["incident"] * a.incidents + ["checkin"] * a.checkins
    rng.shuffle(jobs)
    base = f"bl{int(time.time())}"
    for i, job in enumerate(jobs):
        t0 = time.perf_counter()
        if job == "incident":
            k = rng.randrange(len(TEXTS))
            r = await asyncio.to_thread(_post, srv.url + "/api/v1/incident-reports/", info["token"], {
                "key": f"{base}-inc-{i}", "text": TEXTS[k], "category": CATEGORIES[k], "severity": 3,
                "tps_code": tps[i % len(tps)]})
            sent[("report", r["id"])] = t0
            if r.get("incident"):
                sent[("incident", r["incident"])] = t0
        else:
            minute = 5 + (i % 50)
            r = await asyncio.to_thread(_post, srv.url + "/api/v1/checkins/", info["token"], {
                "key": f"{base}-ck-{i}", "tps": tps[(i * 7) % len(tps)], "kind": "opened",
                "at": f"2024-11-27T07:{minute:02d}:00+08:00"})
            sent[("checkin", r["id"])] = t0
        await asyncio.sleep(a.interval)
    await asyncio.sleep(a.settle)
    for s in sockets:
        await s["ws"].close()
    await asyncio.gather(*readers, return_exceptions=True)
    return sockets, sent, refused


def _records(msg: dict) -> list[tuple[str, int]]:
    if msg.get("type") != "event":
        return []
    if "incident" in msg:
        return [("incident", int(msg["incident"]))]
    if "report" in msg:
        return [("report", int(msg["report"]))]
    kind = msg.get("kind")
    if kind in ("checkin", "alert", "escort"):
        ids = msg.get("ids") if isinstance(msg.get("ids"), list) else ([msg["id"]] if "id" in msg else [])
        return [(kind, int(i)) for i in ids]
    return []


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench live")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--users", type=int, default=25)
    ap.add_argument("--incidents", type=int, default=60)
    ap.add_argument("--checkins", type=int, default=60)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--settle", type=float, default=4.0)
    ap.add_argument("--redis", nargs="?", const="redis://127.0.0.1:6379/5", default="")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="sinergi-bench-live-"))
    env = {"SINERGI_LOG_LEVEL": "ERROR"}
    if a.redis:
        env.update({"REDIS_URL": a.redis, "SINERGI_CHANNEL_PREFIX": f"sinergi-bench-live-{os.getpid()}"})
    srv = UpServer(data_dir, env=env)
    interruptible(srv)
    layer = f"Redis ({a.redis})" if a.redis else "embedded default: SQLite WAL fan-out layer (live.sqlite3)"
    try:
        t0 = time.perf_counter()
        srv.prepare()
        info = json.loads(srv.setup(SETUP % {"users": a.users}).strip().splitlines()[-1])
        srv.start()
        print(f"live setup: `sinergi up` on {srv.url} (SQLite, {layer}; uvicorn + worker + incident processor + "
              f"tick), {len(info['users'])} users, {time.perf_counter() - t0:.0f} s (not timed); "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        sockets, sent, refused = asyncio.run(_drive(srv, info, a))
        received_ids: dict[str, set[int]] = {}
        for s in sockets:
            for _, msg in s["got"]:
                for kind, pk in _records(msg):
                    received_ids.setdefault(kind, set()).add(pk)
        query = {"users": sorted({s["user"] for s in sockets}),
                 "incident": sorted({pk for k, pk in sent if k == "incident"} | received_ids.get("incident", set())),
                 "report": sorted({pk for k, pk in sent if k == "report"} | received_ids.get("report", set())),
                 "checkin": sorted({pk for k, pk in sent if k == "checkin"} | received_ids.get("checkin", set())),
                 "alert": sorted(received_ids.get("alert", set()))}
        qpath = data_dir / "oracle.json"
        qpath.write_text(json.dumps(query))
        allowed = json.loads(srv.setup(ORACLE % {"path": str(qpath)}).strip().splitlines()[-1])
    finally:
        srv.stop()
        if not a.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    feed_kinds = {"/ws/insiden/": ("incident", "report"), "/ws/operasi/": ("checkin", "alert", "escort")}
    latencies, missed, leaked = [], 0, 0
    for s in sockets:
        may = {(k, pk) for k in feed_kinds[s["feed"]] for pk in allowed[s["user"]].get(k, [])}
        first: dict[tuple[str, int], float] = {}
        for t, msg in s["got"]:
            for rec in _records(msg):
                first.setdefault(rec, t)
        leaked += sum(1 for rec in first if rec not in may)
        for rec in may:
            if rec not in sent:
                continue   # e.g. alerts raised by the tick: counted for leaks only
            if rec in first:
                latencies.append((first[rec] - sent[rec]) * 1000)
            elif rec[0] != "report":   # a report event is superseded by its incident's
                missed += 1
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    n_events = sum(1 for k, _ in sent if k in ("incident", "checkin"))
    print(f"deliveries: {len(latencies)} allowed (client, record) pairs delivered; p50 {p50:.0f} ms, "
          f"max {max(latencies) if latencies else float('nan'):.0f} ms; refused sockets {refused}")
    print(f"live: {n_events} events, {len(sockets)} clients, p95 {p95:.0f} ms, missed {missed}, leaked {leaked}")
    return 0 if (missed == 0 and leaked == 0 and p95 < 1000 and not refused) else 1
