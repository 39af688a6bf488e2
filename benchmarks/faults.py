"""Fault benchmark (issue 17): the production processes on PostgreSQL + Redis survive kills and a database restart
with nothing lost and nothing twice.

    sinergi bench faults [--reports 3000] [--clients 8] [--no-pg-restart] [--keep]

Configuration: `sinergi serve --workers 2 --task-workers 2` (config.settings.prod, its own PostgreSQL database
created and dropped on the local cluster, Redis DB 7) with the NTT default dataset. Then, while 8 retrying clients
send single report intakes (the same idempotency key on every retry):
- one server process is SIGKILLed twice (the supervisor restarts it each time),
- PostgreSQL is restarted once (`pg_ctlcluster ... restart`),
- a deployment plan task runs and its worker is SIGKILLed mid-run (the lease releases it, another worker re-runs),
afterwards:
- two schedulers run a simulated election-day hour (27 Nov 2024 07:00-08:00 WITA, 5-minute rounds) at once,
- WebSocket clients on both server processes watch reports created through both processes (via Redis),
- a Kodim's jurisdiction is revoked while its officer's check-ins flow through both processes.
Counted from the database at the end. Last line:
`faults: acknowledged N, stored N, lost 0, duplicates 0, pending 0, tasks exactly-once yes, duplicate alerts 0,
cross-process events missed 0, revocation lag S s, recovery max S s` (pending: stored reports still unprocessed a
minute after the last fault). Every process it started is stopped, also when interrupted.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "prod_a_faults"
REDIS_DB = 7


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {msg}", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="sinergi-faults-"))
        self.port = free_port()
        self.db_url = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
        self.redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
        self.env = dict(os.environ)
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.db_url, "REDIS_URL": self.redis_url, "SINERGI_CHANNEL_PREFIX": "prod-a-faults",
            "SINERGI_DATA_DIR": str(self.tmp), "SINERGI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SINERGI_SECURE_COOKIES": "false", "SINERGI_SSL_REDIRECT": "false", "SINERGI_TASK_LEASE_S": "8", "SINERGI_TASK_HEARTBEAT_S": "1",
            "SINERGI_LOG_FORMAT": "json", "SINERGI_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
            "SINERGI_SUPERVISOR_STATUS": str(self.tmp / "supervisor.json"),
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "prometheus"),
        })
        self.procs: list[subprocess.Popen] = []
        self.serve: subprocess.Popen | None = None
        self.recoveries: dict[str, float] = {}
        self.last_fault = 0.0
        self.notes: list[str] = []

    # -- plumbing ------------------------------------------------------------------------------------------------
    def django(self, code: str, timeout: float = 600) -> str:
        """Run Python with Django set up on the benchmark's database (production settings); returns stdout."""
        script = "import django; django.setup()\n" + code
        out = subprocess.run([PY, "-c", script], env=self.env, cwd=ROOT, capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode:
            raise RuntimeError(f"script failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
        return out.stdout

    def sql(self, query: str):
        import psycopg

        for attempt in range(30):
            try:
                with psycopg.connect(self.db_url, autocommit=True, connect_timeout=3) as conn:
                    return conn.execute(query).fetchall()
            except psycopg.OperationalError:
                if attempt == 29:
                    raise
                time.sleep(1)

    def status(self) -> dict:
        try:
            return json.loads((self.tmp / "supervisor.json").read_text())
        except (OSError, ValueError):
            return {}

    def http(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             timeout: float = 10) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            h = {"Content-Type": "application/json", **(headers or {})} if data else dict(headers or {})
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def ready(self) -> bool:
        try:
            return self.http("GET", "/readyz", timeout=3)[0] == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 90) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.ready():
                return time.monotonic() - t0
            time.sleep(0.1)
        raise RuntimeError("server not ready")

    # -- setup ---------------------------------------------------------------------------------------------------
    def setup(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        self.flush_redis()
        t0 = time.monotonic()
        out = subprocess.run([PY, "-m", "sinergi.cli", "up", "--no-serve"], env=self.env, cwd=ROOT,
                             capture_output=True, text=True, timeout=900)
        if out.returncode:
            raise RuntimeError(out.stdout[-2000:] + out.stderr[-4000:])
        log(f"database {DB_NAME}: migrated, NTT dataset, risk demo and logistics plan loaded in "
            f"{time.monotonic() - t0:.0f} s")
        data = json.loads(self.django('''
import json
from rest_framework.authtoken.models import Token
from sinergi.accounts.models import Unit, User
from sinergi.accounts.services import user_create
from sinergi.elections.models import PollingStation
polda = Unit.objects.filter(agency__code="POLRI", level="province").order_by("path").first()
reporter = user_create(actor=None, username="faults-reporter", password=None, unit=polda, role="operator")
watcher = user_create(actor=None, username="faults-watcher", password="Faults-Watch-123", unit=polda, role="analyst")
kodim = Unit.objects.filter(agency__code="TNI", level="regency").exclude(jurisdiction=None).order_by("code").first()
officer = user_create(actor=None, username="faults-officer", password=None, unit=kodim, role="operator")
codes = list(kodim.jurisdiction.values_list("code", flat=True))
tps = list(PollingStation.objects.filter(regency_code__in=codes).order_by("code").values_list("code", flat=True)[:3000])
print(json.dumps({"reporter": Token.objects.create(user=reporter).key, "officer": Token.objects.create(user=officer).key,
                  "kodim": kodim.code, "tps": tps}))
''').strip().splitlines()[-1])
        self.reporter, self.officer, self.kodim, self.officer_tps = (data["reporter"], data["officer"], data["kodim"],
                                                                    data["tps"])
        log(f"users: reporter (Polda operator), watcher (analyst), officer of {self.kodim} ({len(self.officer_tps)} TPS)")

    def flush_redis(self) -> None:
        try:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        except Exception as exc:  # noqa: BLE001
            self.notes.append(f"redis flush: {exc}")

    def start_serve(self) -> None:
        cmd = [PY, "-m", "sinergi.cli", "serve", "--workers", "2", "--task-workers", "2", "--port", str(self.port)]
        self.serve = subprocess.Popen(cmd, env=self.env, cwd=ROOT, start_new_session=True,
                                      stdout=open(self.tmp / "serve.log", "w"), stderr=subprocess.STDOUT)
        took = self.wait_ready()
        while len([c for c in self.status().values() if c.get("pid")]) < 6:
            time.sleep(0.2)
        log(f"sinergi serve up in {took:.1f} s on port {self.port}: {json.dumps(self.status())}")

    # -- intake under faults ---------------------------------------------------------------------------------
    def intake(self, client: int, count: int, acked: dict, stats: dict, stop: threading.Event) -> None:
        headers = {"Authorization": f"Token {self.reporter}", "Content-Type": "application/json"}
        rng = random.Random(client)
        conn = None
        for i in range(count):
            key = f"faults-{client}-{i}"
            body = json.dumps({"key": key, "text": f"Laporan uji gangguan {client}-{i}: keributan di dekat TPS",
                               "lat": -10.17 + rng.uniform(-0.3, 0.3), "lng": 123.6 + rng.uniform(-0.3, 0.3)})
            pause = 0.1
            while not stop.is_set():
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                    conn.request("POST", "/api/v1/incident-reports/", body=body, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    if r.status in (200, 201):
                        acked[key] = r.status
                        stats[r.status] = stats.get(r.status, 0) + 1
                        break
                    stats[r.status] = stats.get(r.status, 0) + 1
                    if r.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as exc:
                    stats[type(exc).__name__] = stats.get(type(exc).__name__, 0) + 1
                    if conn is not None:
                        conn.close()
                    conn = None
                stats["retries"] = stats.get("retries", 0) + 1
                time.sleep(pause)
                pause = min(2.0, pause * 2)
        if conn is not None:
            conn.close()

    def kill_web(self, name: str) -> None:
        old = self.status()[name]["pid"]
        t0 = time.monotonic()
        self.last_fault = time.time()
        os.kill(old, signal.SIGKILL)
        log(f"SIGKILL {name} (pid {old})")
        while True:
            pid = self.status().get(name, {}).get("pid")
            if pid and pid != old and self._accepting(pid):
                break
            if time.monotonic() - t0 > 60:
                raise RuntimeError(f"{name} not restarted")
            time.sleep(0.05)
        took = time.monotonic() - t0
        self.recoveries[f"{name} kill #{len([k for k in self.recoveries if name in k]) + 1}"] = took
        log(f"{name} restarted by the supervisor (pid {pid}) and serving in {took:.1f} s")

    def _accepting(self, pid: int) -> bool:
        """The restarted server process has finished starting (uvicorn logs 'Application startup complete')."""
        text = (self.tmp / "serve.log").read_text(errors="replace")
        return f"[{pid}]" in text and "startup complete" in text.split(f"[{pid}]")[-1][:4000] or \
            self._proc_age(pid) > 6

    @staticmethod
    def _proc_age(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
            with open("/proc/uptime") as fh:
                uptime = float(fh.read().split()[0])
            return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        except OSError:
            return 0.0

    def restart_postgres(self) -> None:
        cluster = sorted(os.listdir("/etc/postgresql"))[0]
        t0 = time.monotonic()
        self.last_fault = time.time()
        log(f"restarting PostgreSQL {cluster}/main")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True,
                       capture_output=True, timeout=120)
        restarted_at = time.time()
        t_back = time.monotonic()
        log(f"PostgreSQL accepting connections again {t_back - t0:.1f} s after the restart began")
        while not self.ready():
            time.sleep(0.1)
        # Every loop (processor, scheduler, task workers) beat again after the restart.
        while True:
            rows = self.sql("SELECT kind, max(beat_at) FROM core_processheartbeat GROUP BY kind")
            beats = {k: b.timestamp() for k, b in rows}
            if all(beats.get(k, 0) > restarted_at for k in ("processor", "scheduler", "worker")):
                break
            if time.monotonic() - t0 > 120:
                raise RuntimeError(f"loops did not come back after the PostgreSQL restart: {beats}")
            time.sleep(0.2)
        took = time.monotonic() - t_back
        self.recoveries["postgresql restart"] = took
        log(f"readyz OK and processor, scheduler and both task workers working again {took:.1f} s after PostgreSQL "
            f"was back ({time.monotonic() - t0:.1f} s after the restart began)")

    # -- a plan task whose worker is killed -----------------------------------------------------------------
    def plan_with_killed_worker(self) -> dict:
        plan_id = int(self.django('''
from sinergi.deployment.services import plan_run
from sinergi.elections.models import Election
from django.db import transaction
with transaction.atomic():
    plan = plan_run(actor=None, election=Election.objects.get(code="pilkada-2024"), name="uji gangguan")
print(plan.pk)
''').strip().splitlines()[-1])
        t0 = time.monotonic()
        while True:
            rows = self.sql(f"SELECT r.task_id, r.status FROM core_taskrun r JOIN deployment_plan p "
                            f"ON p.task_run_id = r.id WHERE p.id = {plan_id}")
            if rows and rows[0][1] == "running" and rows[0][0]:
                task_id = rows[0][0]
                break
            if time.monotonic() - t0 > 120:
                raise RuntimeError("plan task did not start")
            time.sleep(0.1)
        worker = self.sql(f"SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE id = '{task_id}'")[0][0][-1]
        pid = self.sql(f"SELECT pid FROM core_processheartbeat WHERE name = '{worker}'")[0][0]
        time.sleep(1.5)  # mid-run
        self.last_fault = time.time()
        t_kill = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        check_times: dict[str, float] = {}
        log(f"plan {plan_id}: SIGKILL its worker {worker} (pid {pid}) mid-run")
        while True:
            st = self.sql(f"SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = '{task_id}'")[0]
            if st[0] == "RUNNING" and len(st[1]) >= 2 and "released" not in check_times:
                check_times["released"] = time.monotonic() - t_kill
                log(f"plan task released and claimed again {check_times['released']:.1f} s after the kill (lease "
                    f"{self.env['SINERGI_TASK_LEASE_S']} s) by {st[1][-1]}")
            if "worker" not in check_times and any(
                    n.startswith("worker") and v.get("pid") not in (None, pid) and v.get("restarts")
                    for n, v in self.status().items()):
                check_times["worker"] = time.monotonic() - t_kill
                self.recoveries["task worker kill"] = check_times["worker"]
                log(f"killed worker restarted by the supervisor in {check_times['worker']:.1f} s")
            if st[0] in ("SUCCESSFUL", "FAILED"):
                break
            if time.monotonic() - t_kill > 300:
                raise RuntimeError("plan task did not finish")
            time.sleep(0.2)
        check = json.loads(self.django(f'''
import json
from django_tasks_db.models import DBTaskResult
from sinergi.core.models import AuditEvent, TaskRun
from sinergi.deployment.models import GuardGroup, Plan
plan = Plan.objects.get(pk={plan_id}); run = plan.task_run; row = DBTaskResult.objects.get(pk=run.task_id)
print(json.dumps({{"plan": plan.status, "run": run.status, "attempts": run.attempts, "task": row.status,
  "workers": len(row.worker_ids), "groups": GuardGroup.objects.filter(plan=plan).count(),
  "groups_metric": (plan.metrics or {{}}).get("groups"),
  "succeeded_audits": AuditEvent.objects.filter(action=run.kind + ".succeeded", object_id=str(run.pk)).count(),
  "released_audits": AuditEvent.objects.filter(action="task.released", object_id=str(row.pk)).count()}}))
''').strip().splitlines()[-1])
        check["released_after_s"] = round(check_times.get("released", -1), 1)
        check["exactly_once"] = (check["plan"] == "succeeded" and check["run"] == "succeeded" and
                                 check["task"] == "SUCCESSFUL" and check["succeeded_audits"] == 1 and
                                 check["groups"] == check["groups_metric"] and check["workers"] >= 2)
        log(f"plan task: {check}")
        return check

    # -- two schedulers for an election-day hour ------------------------------------------------------------
    def two_schedulers(self) -> dict:
        before = self.sql("SELECT count(*) FROM operations_alert")[0][0]
        code = '''
import datetime as dt, json, sys, time
from zoneinfo import ZoneInfo
from sinergi.core.management.commands.sinergi_tick import run_jobs
start = dt.datetime(2024, 11, 27, 7, 0, tzinfo=ZoneInfo("Asia/Makassar"))
worst = 0.0; skipped = 0
for k in range(13):
    t0 = time.perf_counter(); out = run_jobs(start + dt.timedelta(minutes=5 * k)); took = time.perf_counter() - t0
    skipped += "skipped" in out; worst = max(worst, took)
print(json.dumps({"worst_s": round(worst, 2), "skipped": skipped}))
'''
        t0 = time.monotonic()
        procs = [subprocess.Popen([PY, "-c", "import django; django.setup()\n" + code], env=self.env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
                 for _ in range(2)]
        self.procs += procs
        outs = []
        for p in procs:
            o, e = p.communicate(timeout=900)
            if p.returncode:
                raise RuntimeError(e[-3000:])
            outs.append(json.loads(o.strip().splitlines()[-1]))
        rows = self.sql("SELECT count(*), count(DISTINCT key) FROM operations_alert")[0]
        audited = self.sql("SELECT coalesce(sum((data->>'count')::int), 0) FROM core_auditevent "
                           "WHERE action = 'ops.alert.raise_batch'")[0][0]
        raised_single = self.sql("SELECT count(*) FROM core_auditevent WHERE action = 'ops.alert.raise'")[0][0]
        alerts = rows[0] - before
        result = {"alerts": alerts, "distinct_keys": rows[1], "audited": int(audited) + raised_single,
                  "schedulers": outs, "wall_s": round(time.monotonic() - t0, 1)}
        # duplicates: the same key stored twice (impossible by the unique key) or alerts the audit claims that do
        # not exist (the old two-tick audit doubled them)
        result["duplicates"] = (rows[0] - rows[1]) + max(0, result["audited"] - rows[0])
        log(f"two schedulers, election-day hour 07:00-08:00 WITA in 5-minute rounds: {result}")
        return result

    # -- cross-process live events over Redis ---------------------------------------------------------------
    def login_cookie(self) -> str:
        st, headers, body = self.http("GET", "/accounts/login/")
        cookies = self._cookies(headers)
        token = body.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        form = f"username=faults-watcher&password=Faults-Watch-123&csrfmiddlewaretoken={token}"
        conn.request("POST", "/accounts/login/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies,
            "Referer": f"http://127.0.0.1:{self.port}/accounts/login/"})
        r = conn.getresponse()
        r.read()
        cookies2 = self._cookies(dict(r.getheaders()), r.msg.get_all("Set-Cookie") or [])
        if "sessionid" not in cookies2:
            raise RuntimeError(f"login failed: {r.status}")
        return cookies2

    @staticmethod
    def _cookies(headers: dict, all_values: list[str] | None = None) -> str:
        values = all_values or [v for k, v in headers.items() if k.lower() == "set-cookie"]
        return "; ".join(v.split(";")[0] for v in values)

    def ws_sockets_per_process(self) -> dict[int, float]:
        from prometheus_client.multiprocess import MultiProcessCollector

        out = {}
        for f in glob.glob(str(self.tmp / "prometheus" / "gauge_livesum_*.db")):
            pid = int(Path(f).stem.rsplit("_", 1)[1])
            for metric in MultiProcessCollector._read_metrics([f]).values():
                for s in metric.samples:
                    if s.name == "sinergi_websocket_clients" and s.value:
                        out[pid] = out.get(pid, 0) + s.value
        return out

    def requests_per_process(self) -> dict[int, float]:
        from prometheus_client.multiprocess import MultiProcessCollector

        out = {}
        for f in glob.glob(str(self.tmp / "prometheus" / "histogram_*.db")):
            pid = int(Path(f).stem.rsplit("_", 1)[1])
            for metric in MultiProcessCollector._read_metrics([f]).values():
                for s in metric.samples:  # raw buckets are not cumulative: their sum is the request count
                    if s.name == "sinergi_http_request_duration_seconds_bucket" and \
                            "report" in dict(s.labels).get("route", ""):
                        out[pid] = out.get(pid, 0) + s.value
        return out

    def cross_process_events(self, n_sockets: int = 8, n_events: int = 20) -> dict:
        from websockets.sync.client import connect

        cookie = self.login_cookie()
        sockets, received = [], []
        for _ in range(n_sockets):
            ws = connect(f"ws://127.0.0.1:{self.port}/ws/insiden/", additional_headers={
                "Cookie": cookie, "Origin": f"http://127.0.0.1:{self.port}"}, open_timeout=10)
            sockets.append(ws)
            received.append([])
        time.sleep(0.5)
        per_process = self.ws_sockets_per_process()
        alive = {p: v for p, v in per_process.items() if self._proc_age(p) > 0}
        stop = threading.Event()

        def reader(i):
            while not stop.is_set():
                try:
                    msg = sockets[i].recv(timeout=0.5)
                except TimeoutError:
                    continue
                except Exception:  # noqa: BLE001 - closed
                    return
                received[i].append(json.loads(msg))

        threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(n_sockets)]
        for t in threads:
            t.start()
        before = self.requests_per_process()
        ids = []
        rng = random.Random(7)
        for k in range(n_events):  # a new connection each: the kernel spreads them over both processes
            # far apart and in different words, so each report makes its own incident (no deduplication)
            st, _, body = self.http("POST", "/api/v1/incident-reports/", {
                "key": f"faults-live-{k}", "text": f"Peristiwa langsung nomor {k} kode {secrets.token_hex(6)}",
                "lat": -10.5 + k * 0.12, "lng": 119.5 + rng.uniform(0, 4)},
                headers={"Authorization": f"Token {self.reporter}"})
            if st in (200, 201):
                ids.append(json.loads(body)["id"])

        def expected() -> set[int]:
            rows = self.sql("SELECT incident_id FROM incidents_report WHERE idempotency_key LIKE 'faults-live-%' "
                            "AND incident_id IS NOT NULL")
            return {r[0] for r in rows}

        deadline = time.monotonic() + 15
        want: set[int] = set()
        while time.monotonic() < deadline:
            want = expected()
            if len(want) >= len(ids) * 0.5 and all(want <= {m.get("incident") for m in r} for r in received):
                break
            time.sleep(0.3)
        stop.set()
        after = self.requests_per_process()
        created_on = {p: after.get(p, 0) - before.get(p, 0) for p in after if after.get(p, 0) > before.get(p, 0)}
        for ws in sockets:
            ws.close()
        # every incident made from these reports announces itself ({"incident": id}) to every socket
        missed = sum(len(want - {m.get("incident") for m in r}) for r in received)
        result = {"sockets_per_process": alive, "events_created_per_process": created_on, "reports": len(ids),
                  "incidents": len(want), "sockets": n_sockets, "missed": missed}
        if len(alive) < 2 or len(created_on) < 2:
            self.notes.append(f"cross-process check did not spread over both processes: {result}")
        log(f"live events: {result}")
        return result

    # -- revocation while check-ins flow --------------------------------------------------------------------
    def revocation(self, threads: int = 4, max_wait: float = 75) -> dict:
        accepted_before, accepted_after, refused, last_accept = [], [], [], [0.0]
        revoked_at = [0.0]
        stop = threading.Event()
        idx = [0]
        lock = threading.Lock()

        def flow(t):
            while not stop.is_set():
                with lock:
                    i = idx[0]
                    idx[0] += 1
                tps = self.officer_tps[i % len(self.officer_tps)]
                sent = time.time()
                try:
                    st, _, _ = self.http("POST", "/api/v1/checkins/", {
                        "key": f"faults-rev-{i}", "tps": tps, "kind": "opened",
                        "at": "2024-11-27T07:05:00+08:00"}, headers={"Authorization": f"Token {self.officer}"})
                except OSError:
                    continue
                if not revoked_at[0] and st in (200, 201):
                    accepted_before.append(sent)
                if revoked_at[0] and sent > revoked_at[0]:
                    if st in (200, 201):
                        accepted_after.append(sent)
                        last_accept[0] = max(last_accept[0], sent)
                    else:
                        refused.append(st)
                time.sleep(0.05)

        workers = [threading.Thread(target=flow, args=(t,), daemon=True) for t in range(threads)]
        for w in workers:
            w.start()
        time.sleep(3)
        out = self.django(f'''
import time
from sinergi.accounts.models import Unit
Unit.objects.get(code="{self.kodim}").jurisdiction.set([])
print(time.time())
''')
        revoked_at[0] = float(out.strip().splitlines()[-1])
        log(f"revoked the jurisdiction of {self.kodim}")
        t0 = time.time()
        while time.time() - t0 < max_wait:
            time.sleep(1)
            if refused and time.time() - revoked_at[0] > 10 and time.time() - max(last_accept[0], revoked_at[0]) > 5:
                break
        stop.set()
        for w in workers:
            w.join(15)
        lag = max(0.0, last_accept[0] - revoked_at[0]) if accepted_after else 0.0
        result = {"lag_s": round(lag, 2), "accepted_before": len(accepted_before), "accepted_after": len(accepted_after),
                  "refused_after": len(refused)}
        if not accepted_before:
            self.notes.append("revocation: no check-in was accepted before the revocation (the check proves nothing)")
        log(f"revocation: {result}")
        return result

    # -- the run ---------------------------------------------------------------------------------------------
    def run(self) -> int:
        a = self.args
        self.setup()
        self.start_serve()
        acked: dict[str, int] = {}
        stats: dict = {}
        stop = threading.Event()
        per_client = a.reports // a.clients
        clients = [threading.Thread(target=self.intake, args=(c, per_client, acked, stats, stop), daemon=True)
                   for c in range(a.clients)]
        t_start = time.monotonic()
        for c in clients:
            c.start()

        def wait_acked(n):
            while len(acked) < n and any(c.is_alive() for c in clients):
                time.sleep(0.05)

        total = per_client * a.clients
        wait_acked(total * 0.15)
        self.kill_web("web-1")
        wait_acked(total * 0.35)
        if not a.no_pg_restart:
            self.restart_postgres()
        else:
            self.notes.append("PostgreSQL restart skipped (--no-pg-restart)")
        plan = self.plan_with_killed_worker()
        wait_acked(total * 0.7)
        self.kill_web("web-1")
        for c in clients:
            c.join(600)
        intake_s = time.monotonic() - t_start
        log(f"intake done: {len(acked)} acknowledged in {intake_s:.0f} s; answers {stats}")
        ticks = self.two_schedulers()
        live = self.cross_process_events()
        rev = self.revocation()
        # pending: stored reports still unprocessed a minute after the last fault
        wait = self.last_fault + 60 - time.time()
        if wait > 0:
            log(f"waiting {wait:.0f} s (a minute after the last fault) before counting pending reports")
            time.sleep(wait)
        keys = {k for (k,) in self.sql("SELECT idempotency_key FROM incidents_report "
                                       "WHERE idempotency_key LIKE 'faults-%' AND idempotency_key NOT LIKE 'faults-live-%'")}
        stored = self.sql("SELECT count(*) FROM incidents_report WHERE idempotency_key LIKE 'faults-%' "
                          "AND idempotency_key NOT LIKE 'faults-live-%'")[0][0]
        pending = self.sql("SELECT count(*) FROM incidents_report WHERE processing = 'pending'")[0][0]
        lost = len(set(acked) - keys)
        duplicates = stored - len(keys) + len(keys - set(acked))
        restarts = {k: v.get("restarts") for k, v in self.status().items()}
        log(f"supervisor restarts: {restarts}")
        log(f"recoveries: { {k: round(v, 1) for k, v in self.recoveries.items()} }")
        for note in self.notes:
            log(f"note: {note}")
        print(f"configuration: sinergi serve --workers 2 --task-workers 2, config.settings.prod, PostgreSQL "
              f"(database {DB_NAME}), Redis DB {REDIS_DB}, NTT dataset; lease {self.env['SINERGI_TASK_LEASE_S']} s")
        print(f"faults: acknowledged {len(acked):,}, stored {stored:,}, lost {lost}, duplicates {duplicates}, "
              f"pending {pending}, tasks exactly-once {'yes' if plan['exactly_once'] else 'no'}, duplicate alerts "
              f"{ticks['duplicates']}, cross-process events missed {live['missed']}, revocation lag "
              f"{rev['lag_s']:.1f} s, recovery max {max(self.recoveries.values()):.1f} s")
        return 0

    def cleanup(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if self.serve is not None and self.serve.poll() is None:
            try:
                os.killpg(self.serve.pid, signal.SIGTERM)
                self.serve.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # anything left in the supervisor's children's groups
        for child in self.status().values():
            pid = child.get("pid")
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if self.serve is not None and self.serve.poll() is None:
            try:
                os.killpg(self.serve.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self.args.keep:
            try:
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {DB_NAME}: {exc}", file=sys.stderr)
            self.flush_redis()
            shutil.rmtree(self.tmp, ignore_errors=True)


def run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sinergi bench faults")
    p.add_argument("--reports", type=int, default=3000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--no-pg-restart", action="store_true", help="skip the PostgreSQL restart (development runs)")
    p.add_argument("--keep", action="store_true", help="keep the database and data folder afterwards")
    args = p.parse_args(argv)
    bench = Bench(args)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    old = {s: signal.signal(s, interrupted) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return bench.run()
    except KeyboardInterrupt:
        print("faults: interrupted", file=sys.stderr)
        return 130
    finally:
        bench.cleanup()
        for s, h in old.items():
            signal.signal(s, h)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
