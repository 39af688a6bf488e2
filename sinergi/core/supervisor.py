"""A small process supervisor for `sinergi up` and `sinergi serve`.

Each child runs in its own process group. A child that exits (crash, SIGKILL, OOM) is started again after a
back-off (1 s, 2 s, 4 s ... capped at 30 s; reset once it has stayed up for a minute) and the other children keep
running. SIGTERM/SIGINT to the supervisor stops every child: SIGTERM to each process group, SIGKILL to what is
still alive after `grace` seconds. Pure standard library; no Django needed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("sinergi.supervisor")


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    pass_fds: tuple[int, ...] = ()
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures: int = 0  # consecutive short-lived runs (for the back-off)
    next_start: float = 0.0
    history: list[float] = field(default_factory=list)  # times of restarts

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


class Supervisor:
    def __init__(self, children: list[Child], *, grace: float = 20.0, backoff_cap: float = 30.0,
                 stable_after: float = 60.0, status_file: str | None = None, on_exit=None) -> None:
        self.children = children
        self.on_exit = on_exit
        self.grace, self.backoff_cap, self.stable_after = grace, backoff_cap, stable_after
        self.status_file = status_file
        self.stopping = False

    def _emit(self, event: str, child: Child, **extra) -> None:
        line = {"event": event, "child": child.name, "pid": child.pid, **extra}
        log.warning(json.dumps(line)) if event != "started" else log.info(json.dumps(line))
        print(f"[supervisor] {json.dumps(line)}", file=sys.stderr, flush=True)

    def start(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.argv, env=child.env, start_new_session=True, pass_fds=child.pass_fds)
        child.started_at = time.monotonic()
        self._emit("started", child, restarts=child.restarts)
        self._write_status()

    def _write_status(self) -> None:
        if not self.status_file:
            return
        data = {c.name: {"pid": c.pid, "restarts": c.restarts} for c in self.children}
        tmp = self.status_file + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.status_file)

    def _signal_group(self, child: Child, sig: int) -> None:
        if child.proc is None:
            return
        try:
            os.killpg(child.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def check(self) -> None:
        """Reap children that exited and (re)start those whose back-off has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.proc is not None:
                code = child.proc.poll()
                if code is None:
                    if child.failures and now - child.started_at > self.stable_after:
                        child.failures = 0
                    continue
                # The child's own children (if any) go with it.
                self._signal_group(child, signal.SIGKILL)
                lived = now - child.started_at
                child.failures = child.failures + 1 if lived < self.stable_after else 1
                delay = min(self.backoff_cap, 2 ** (child.failures - 1))
                child.next_start = now + delay
                self._emit("exited", child, code=code, lived_s=round(lived, 1), restart_in_s=delay)
                if self.on_exit is not None:
                    self.on_exit(child)
                child.proc = None
            if child.proc is None and not self.stopping and now >= child.next_start:
                if child.started_at:
                    child.restarts += 1
                    child.history.append(time.time())
                self.start(child)

    def stop(self) -> None:
        self.stopping = True
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                self._signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            self._signal_group(child, signal.SIGKILL)
            try:
                child.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._write_status()

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns 0."""

        def on_signal(signum, frame):
            self.stopping = True

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not self.stopping:
                self.check()
                time.sleep(0.25)
        finally:
            self.stop()
            for s, h in old.items():
                signal.signal(s, h)
        return 0
