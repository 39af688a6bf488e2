"""Shared plumbing of the incident benchmarks: a fresh PostgreSQL database, a server, an HTTP load client.

Not a benchmark itself (the leading underscore hides it from `sinergi bench`).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sinergi_bench_incidents"


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": database_url,
        "SINERGI_DATA_DIR": env.get("SINERGI_BENCH_DATA_DIR", tempfile.gettempdir() + "/sinergi-bench"),
        "SINERGI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SINERGI_LOG_LEVEL": "ERROR",
        **extra,
    })
    return env


def recreate_database(database_url: str) -> None:
    import psycopg

    u = urlparse(database_url)
    name = u.path.lstrip("/")
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    out = subprocess.run([PY, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, input=stdin, text=True,
                         capture_output=True, check=False)
    if out.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def prepare(database_url: str, *, fresh: bool = True) -> str:
    """Migrate a fresh database, create a reporting user and return its API token."""
    env = server_env(database_url)
    if fresh:
        recreate_database(database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    script = (
        "from sinergi.accounts.models import User\n"
        "from sinergi.api.services import token_issue\n"
        "u, _ = User.objects.get_or_create(username='bench-reporter', defaults={'role': 'operator'})\n"
        "t = token_issue(user=u)\n"
        "print('TOKEN', t.key)\n"
    )
    out = manage(env, "shell", stdin=script)
    return next(line.split()[1] for line in out.splitlines() if line.startswith("TOKEN"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn (threaded workers, WSGI `app`: config.wsgi, or sinergi.incidents.wsgi = the same plus the intake
    fast lane) when installed, else uvicorn (ASGI); `workers` processes."""

    def __init__(self, database_url: str, workers: int, port: int, server: str = "auto", threads: int = 64,
                 app: str = "config.wsgi:application", **env_extra: str):
        self.port = port
        # Persistent connections in the server (CONN_MAX_AGE through the URL): a fresh PostgreSQL connection
        # per request would cost more than the request itself.
        sep = "&" if "?" in database_url else "?"
        env = server_env(f"{database_url}{sep}conn_max_age=600", **env_extra)
        if server == "auto":
            try:
                import gunicorn  # noqa: F401

                server = "gunicorn"
            except ImportError:
                server = "uvicorn"
        self.kind = server
        if server == "gunicorn":
            cmd = [PY, "-m", "gunicorn", app, "-w", str(workers), "-b", f"127.0.0.1:{port}",
                   "-k", "gthread", "--threads", str(threads),
                   "--log-level", "warning", "--backlog", "2048", "--keep-alive", "30"]
        else:
            cmd = [PY, "-m", "uvicorn", "config.asgi:application", "--workers", str(workers), "--port", str(port),
                   "--no-access-log", "--log-level", "warning", "--backlog", "2048"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)

    def wait(self, timeout: float = 60) -> None:
        t0 = time.time()
        while time.time() - t0 < timeout:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    time.sleep(1.0)
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


async def _conn_loop(port, path, headers, make_body, stop_at, stats, conn_id):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            body = make_body(conn_id, i)
            i += 1
            req = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n{headers}\r\n").encode() + body
            t0 = time.perf_counter()
            writer.write(req)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("closed")
            status = int(status_line.split()[1])
            length = 0
            close = False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                if k.lower() == "content-length":
                    length = int(v)
                elif k.lower() == "connection" and v.strip().lower() == "close":
                    close = True
            data = await reader.readexactly(length) if length else b""
            stats["lat"].append(time.perf_counter() - t0)
            stats["status"][status] = stats["status"].get(status, 0) + 1
            stats["bodies"].append((status, data)) if stats.get("keep_bodies") else None
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def load(port: int, path: str, token: str, make_body, *, duration: float, concurrency: int,
         keep_bodies: bool = False) -> dict:
    stats: dict = {"lat": [], "status": {}, "bodies": [], "keep_bodies": keep_bodies}
    headers = f"Authorization: Token {token}\r\nConnection: keep-alive\r\n"

    async def main():
        stop_at = time.perf_counter() + duration
        await asyncio.gather(*[_conn_loop(port, path, headers, make_body, stop_at, stats, c)
                               for c in range(concurrency)], return_exceptions=False)

    t0 = time.perf_counter()
    asyncio.run(main())
    stats["elapsed"] = time.perf_counter() - t0
    return stats


def _proc_table() -> tuple[dict[int, list[int]], dict[int, float], dict[int, str]]:
    """(children of each pid, CPU seconds of each pid, command line of each pid) from Linux /proc."""
    hz = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    cmd: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / hz
    return children, cpu, cmd


def tree_pids(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """A process and its live descendants (the supervisor's children run in sessions of their own); `children`
    from a `_proc_table()` snapshot the caller already took."""
    if children is None:
        children = _proc_table()[0]
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _role(cmdline: str) -> str:
    return ("web" if "uvicorn" in cmdline else "processor" if "incidents_process" in cmdline else
            "worker" if "sinergi_worker" in cmdline else "tick" if "sinergi_tick" in cmdline else
            "supervisor" if " up " in f"{cmdline} " else "other")


def tree_roles(pid: int) -> str:
    """What runs under `sinergi up`, e.g. "6 processes: supervisor, web x2, worker, processor, tick"."""
    children, _, cmd = _proc_table()
    roles: dict[str, int] = {}
    for p in tree_pids(pid, children):
        role = _role(cmd.get(p, ""))
        roles[role] = roles.get(role, 0) + 1
    parts = [f"{r} x{n}" if n > 1 else r for r, n in roles.items()]
    return f"{sum(roles.values())} processes: {', '.join(parts)}"


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants (Linux /proc)."""
    children, cpu, _ = _proc_table()
    return sum(cpu.get(p, 0.0) for p in tree_pids(pid, children))


def tree_cpu_by_role(pid: int) -> dict[str, float]:
    """CPU seconds so far of each role under `sinergi up` (web, processor, worker, tick, supervisor; Linux /proc)."""
    children, cpu, cmd = _proc_table()
    out: dict[str, float] = {}
    for p in tree_pids(pid, children):
        role = _role(cmd.get(p, ""))
        out[role] = out.get(role, 0.0) + cpu.get(p, 0.0)
    return out


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def count_reports(database_url: str, prefix: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT idempotency_key) FROM incidents_report "
                                   "WHERE idempotency_key LIKE %s", (prefix + "%",)).fetchone()
    return n, distinct


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()
