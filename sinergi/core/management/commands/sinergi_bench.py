"""`sinergi bench NAME [args] [--record]`: run benchmarks/NAME.py; the headline figure is its last line.

With --record the headline, the machine and the command are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import os
import platform
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = 0.0
    with contextlib.suppress(OSError):
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores, {cpu}, {mem_gb:.0f} GB RAM, Python {platform.python_version()}"


class Command(BaseCommand):
    help = "Run a benchmark from benchmarks/ (e.g. load-dataset). Prints the headline figure last."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?")
        parser.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS.md")
        parser.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed to the benchmark")

    def handle(self, *args, **opts):
        opts["args"] = [*args, *(opts.get("bench_args") or [])]
        bench_dir = settings.BASE_DIR / "benchmarks"
        available = sorted(p.stem.replace("_", "-") for p in bench_dir.glob("*.py") if not p.stem.startswith("_"))
        name = opts["name"]
        if not name or name not in available:
            raise CommandError(f"unknown benchmark {name!r}; available: {', '.join(available)}")
        path = bench_dir / f"{name.replace('-', '_')}.py"
        spec = importlib.util.spec_from_file_location(f"sinergi_bench_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        buf = io.StringIO()

        class Tee(io.TextIOBase):
            def write(self, s):
                sys.__stdout__.write(s)
                sys.__stdout__.flush()
                buf.write(s)
                return len(s)

        with contextlib.redirect_stdout(Tee()):
            code = module.run(list(opts["args"]))
        lines = [line for line in buf.getvalue().splitlines() if line.strip()]
        headline = lines[-1] if lines else "(no output)"
        if opts["record"] and not code:
            results = bench_dir / "RESULTS.md"
            cmd = " ".join(["sinergi", "bench", name, *opts["args"]])
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            with results.open("a") as fh:
                fh.write(f"| {stamp} | `{cmd}` | {headline} | {machine_description()} |\n")
        if code:
            raise CommandError(f"benchmark {name} failed (exit {code})")
