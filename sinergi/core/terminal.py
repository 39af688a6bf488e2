"""Progress of long commands on a terminal: a bar (rich) on a TTY, plain lines otherwise, nothing with --json.

`sinergi` (sinergi/cli.py) wraps the commands that take more than a few seconds in `terminal_progress(...)`; the
work itself reports through sinergi.core.progress.progress, the same call that feeds the task pages. Output goes
to stderr, so stdout (the command's result, its --json in particular) is byte-for-byte what it was.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from .progress import progress_reporter

#: plain-line mode prints a line when the step changes and at every this many percent
PLAIN_EVERY_PERCENT = 10

LABELS = {
    "dataset": "Dataset NTT", "up": "Persiapan / set-up", "deployment.plan": "Rencana / plan",
    "tps_import": "Impor TPS", "risk_recompute": "Kerawanan / risk", "sitrep.generate": "Laporan situasi",
    "personnel.roster_import": "Impor personel", "personnel.assign": "Penugasan personel", "replay": "Replay",
    "risk_observation_import": "Impor pengamatan",
}


def label_of(key: str) -> str:
    return LABELS.get(key, key or "Sinergi")


class PlainLines:
    """'Rencana / plan: 3/6 (50 %) Menempatkan tim cadangan' on a step change or every PLAIN_EVERY_PERCENT %."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._last: dict[str, tuple[str, int]] = {}

    def __call__(self, key: str, done: int, total: int | None, step: str) -> None:
        pct = int(100 * done / total) if total else -1
        bucket = pct // PLAIN_EVERY_PERCENT if pct >= 0 else -1
        last = self._last.get(key)
        if last is not None and last == (step, bucket):
            return
        self._last[key] = (step, bucket)
        count = f"{done:,}/{total:,} ({pct} %)" if total else f"{done:,}"
        self.stream.write(f"{label_of(key)}: {count}{' ' + step if step else ''}\n")
        self.stream.flush()


class RichBar:
    """One rich progress bar per piece of work: label, step, bar, percent, done/total, time left."""

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("[bold]{task.fields[label]}"), BarColumn(), TaskProgressColumn(),
                                 MofNCompleteColumn(), TimeRemainingColumn(), TextColumn("{task.description}"),
                                 console=Console(file=stream), transient=False,
                                 redirect_stdout=False, redirect_stderr=False)  # stdout stays the command's
        self.tasks: dict[str, int] = {}
        self.running = False

    def __call__(self, key: str, done: int, total: int | None, step: str) -> None:
        if not self.running:
            self.progress.start()
            self.running = True
        task = self.tasks.get(key)
        if task is None:
            task = self.tasks[key] = self.progress.add_task(step, total=total, label=label_of(key))
        self.progress.update(task, completed=done, total=total, description=step)
        if all(t.finished for t in self.progress.tasks):  # done: stop drawing before the command prints its result
            self.stop()

    def stop(self) -> None:
        if self.running:
            self.progress.stop()
            self.running = False

    def __enter__(self) -> RichBar:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def terminal_progress(*, enabled: bool = True, stream: TextIO | None = None,
                      tty: bool | None = None) -> Iterator[None]:
    """Show the progress reported inside the block on `stream` (stderr): a bar on a TTY, plain lines otherwise;
    nothing when not `enabled` (--json)."""
    if not enabled:
        yield
        return
    stream = stream or sys.stderr
    if tty is None:
        tty = bool(getattr(stream, "isatty", lambda: False)())
    if not tty:
        with progress_reporter(PlainLines(stream)):
            yield
        return
    with RichBar(stream) as bar, progress_reporter(bar):
        yield
