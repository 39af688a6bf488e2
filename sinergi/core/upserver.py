"""Start Sinergi exactly as `sinergi up` starts it, in a subprocess of its own (port, data folder, process group),
for the live tests and the live/dashboard benchmarks; stop every process it started, also when interrupted.

    with UpServer(data_dir, port) as srv:       # prepares (migrate, NTT dataset, admin) then serves
        srv.setup("from sinergi... import ...; print(json.dumps(...))")   # Python in the server's environment
        ... talk to srv.url over HTTP and WebSocket ...

`sinergi up` itself starts the uvicorn web server, the task worker, the incident processor and the tick loop;
they all run in the new process group, which `stop()` signals as a whole (TERM, then KILL after a grace period).
No Django import here: callers may be tests with other settings, or benchmarks.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UpServer:
    def __init__(self, data_dir: str | Path, port: int | None = None, *, env: dict[str, str] | None = None,
                 log: str | Path | None = None):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE"):
            self.env.pop(name, None)   # the embedded default unless the caller says otherwise
        self.env.update({"SINERGI_DATA_DIR": str(self.data_dir), "DJANGO_SETTINGS_MODULE": "config.settings.dev",
                         "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                         "SINERGI_ALLOWED_HOSTS": "127.0.0.1,localhost"})
        self.env.update(env or {})
        self.log_path = Path(log) if log else self.data_dir / "server.log"
        self.proc: subprocess.Popen | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    def prepare(self) -> str:
        """`sinergi up --no-serve`: migrate, load the NTT default dataset once, the admin account."""
        out = subprocess.run([sys.executable, "-m", "sinergi.cli", "up", "--no-serve"], env=self.env, cwd=ROOT,
                             capture_output=True, text=True, timeout=900)
        if out.returncode:
            raise RuntimeError(f"sinergi up --no-serve failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
        return out.stdout

    def start(self, timeout: float = 180) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the server's lifetime
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sinergi.cli", "up", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sinergi up exited ({self.proc.returncode}); see {self.log_path}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:  # noqa: S310 - local
                    if r.status == 200:
                        return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"sinergi up did not answer on {self.url} within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """TERM to the whole process group (sinergi up and every process it started), KILL after 10 s."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)   # children that ignored TERM
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def __enter__(self) -> UpServer:
        self.prepare()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers -----------------------------------------------------------------------------------------------------
    def setup(self, code: str, timeout: float = 600) -> str:
        """Run Python `code` with Django set up in the server's environment (its database); returns stdout."""
        script = "import django\ndjango.setup()\n" + code
        out = subprocess.run([sys.executable, "-c", script], env=self.env, cwd=ROOT, capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode:
            raise RuntimeError(f"setup script failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
        return out.stdout

    def processes(self) -> list[int]:
        """Ids of the live processes in the server's process group (to check that stop() left none)."""
        if self.proc is None:
            return []
        out = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]


def interruptible(*servers: UpServer) -> None:
    """Stop the servers on SIGTERM/SIGINT too (benchmarks run under `sinergi bench`, maybe killed)."""
    def handler(signum, frame):
        for s in servers:
            s.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
