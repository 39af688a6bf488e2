"""`sinergi serve`: run a production node — N ASGI server processes (uvicorn, WebSocket capable) sharing one
listening socket, K task workers, the report processor and ONE periodic scheduler — under a supervisor that
restarts whatever dies (with back-off) without stopping the rest, and stops everything on SIGTERM/SIGINT.

Configured from the environment only (docs/operations-guide.md): DJANGO_SETTINGS_MODULE=config.settings.prod,
SECRET_KEY, DATABASE_URL, REDIS_URL, SINERGI_HOST, SINERGI_PORT, SINERGI_WEB_WORKERS, SINERGI_TASK_WORKERS, ...
Run `sinergi manage migrate` (and `sinergi manage collectstatic`) before the first start and after upgrades.
On several machines, run the scheduler on one of them only (--no-scheduler elsewhere); a second scheduler does no
harm (it waits for the scheduler lock) but does no work either.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from sinergi.core.supervisor import Child, Supervisor


def manage(*args: str) -> list[str]:
    return [sys.executable, "-m", "sinergi.cli", "manage", *args]


def child_env(metrics_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"))
    if metrics_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    return env


def prepare_metrics_dir() -> Path:
    """prometheus_client's multiprocess folder, emptied at every start (stale files would add up)."""
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.DATA_DIR / "prometheus")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def web_processes() -> int:
    """Web server processes for this machine: one per core (at least 2, at most 8), or SINERGI_WEB_WORKERS."""
    value = os.environ.get("SINERGI_WEB_WORKERS", "")
    return int(value) if value else max(2, min(8, os.cpu_count() or 2))


def listen_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit TCP_NODELAY from the listening socket. uvicorn sees an inherited --fd as a
    # Unix socket and so never sets it itself: without it every answer written in two parts (head, body) waited
    # for the client's delayed ACK, about 40 ms per request (issue 20).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def listen_sockets(host: str, port: int, n: int) -> list[socket.socket]:
    """One listening socket per web process on the same port (SO_REUSEPORT): the kernel spreads new connections
    evenly over them. With one shared socket, whichever process woke first took the connection, and keep-alive
    clients (the replay's officers, a load balancer) stuck to one process while the other idled (issue 20).
    A port already in use is refused first, as with a single socket, so a second `sinergi up` on the same port
    fails instead of silently sharing it."""
    probe = listen_socket(host, port)
    port = probe.getsockname()[1]
    probe.close()
    return [listen_socket(host, port, reuse_port=True) for _ in range(n)]


def build_children(*, socks: list[socket.socket], task_workers: int, processor: bool, scheduler: bool,
                   env: dict[str, str], tick_s: float = 30.0) -> list[Child]:
    """The supervised processes: one web server per listening socket (`listen_sockets`), the task workers, the
    report processor and the scheduler."""
    if processor:
        # Reports are processed by the processor loop, in batches, not inside the request (issue 20): web
        # processes store and answer; the loop polls often, so nobody needs to queue a task per report.
        env = {**env, "SINERGI_INCIDENT_PROCESSOR": "loop"}
        env.setdefault("SINERGI_INCIDENT_PROCESSING", "deferred")
        # The ASGI intake lane hands single reports to one writer thread per process (group commit).
        env.setdefault("SINERGI_INCIDENT_GROUP_COMMIT", "1")
    def uvicorn(fd: int) -> list[str]:
        # Proxy headers are judged by Django (SINERGI_TRUSTED_PROXIES, TrustedProxyMiddleware), not by uvicorn.
        return [sys.executable, "-m", "uvicorn", "config.asgi:application", "--fd", str(fd), "--no-access-log",
                "--timeout-graceful-shutdown", "15", "--ws-ping-interval", "20", "--ws-ping-timeout", "20",
                "--no-proxy-headers"]

    children = [Child(f"web-{i + 1}", uvicorn(s.fileno()), env, pass_fds=(s.fileno(),))
                for i, s in enumerate(socks)]
    children += [Child(f"worker-{i + 1}", manage("sinergi_worker"), env) for i in range(task_workers)]
    if processor:
        children.append(Child("processor", manage("incidents_process", "--loop", "0.5"), env))
    if scheduler:
        children.append(Child("scheduler", manage("sinergi_tick", "--loop", str(tick_s)), env))
    return children


def mark_dead(metrics_dir: Path | None):
    def on_exit(child: Child) -> None:
        if metrics_dir is not None and child.proc is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(child.proc.pid, str(metrics_dir))
    return on_exit


class Command(BaseCommand):
    help = "Run N ASGI server processes, K task workers, the report processor and one scheduler, supervised."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SINERGI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("SINERGI_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("SINERGI_WEB_WORKERS", "2")),
                            help="ASGI server processes (default SINERGI_WEB_WORKERS or 2)")
        parser.add_argument("--task-workers", type=int, default=int(os.environ.get("SINERGI_TASK_WORKERS", "1")),
                            help="task worker processes (default SINERGI_TASK_WORKERS or 1)")
        parser.add_argument("--no-scheduler", action="store_true", help="do not run the periodic scheduler here")
        parser.add_argument("--no-processor", action="store_true", help="do not run the report processor here")
        parser.add_argument("--tick", type=float, default=float(os.environ.get("SINERGI_TICK_SECONDS", "30")))
        parser.add_argument("--status-file", default=os.environ.get("SINERGI_SUPERVISOR_STATUS", ""),
                            help="write the children's pids and restart counts here (JSON)")

    def handle(self, *args, **opts):
        metrics_dir = prepare_metrics_dir()
        env = child_env(metrics_dir)
        socks = listen_sockets(opts["host"], opts["port"], max(1, opts["workers"]))
        children = build_children(
            socks=socks, task_workers=max(0, opts["task_workers"]),
            processor=not opts["no_processor"], scheduler=not opts["no_scheduler"], env=env, tick_s=opts["tick"])
        self.stdout.write(f"Sinergi serve: http://{opts['host']}:{opts['port']}/ — {opts['workers']} server "
                          f"process(es), {opts['task_workers']} task worker(s), "
                          f"{'processor, ' if not opts['no_processor'] else ''}"
                          f"{'scheduler' if not opts['no_scheduler'] else 'no scheduler'}; "
                          f"settings {env['DJANGO_SETTINGS_MODULE']}")
        self.stdout.flush()
        sup = Supervisor(children, status_file=opts["status_file"] or None, on_exit=mark_dead(metrics_dir))
        try:
            sup.run()
        finally:
            for sock in socks:
                sock.close()
