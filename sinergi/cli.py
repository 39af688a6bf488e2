"""The `sinergi` command. Operators script it: keep subcommands and --json output stable.

    sinergi up [--host H] [--port P] [--no-worker]   create/migrate the embedded DB, load NTT once, serve
    sinergi serve [--workers N] [--task-workers K]   production: N ASGI servers, K task workers, processor and
                                                     one scheduler, supervised (docs/operations-guide.md)
    sinergi status [--json]                          dataset and user counts
    sinergi import-tps FILE [--valid-only] [--json]  import KPU's TPS list (CSV/XLSX)
    sinergi audit verify                             check the audit hash chain
    sinergi load-dataset [--force]                   load the NTT default dataset
    sinergi bench NAME                               run a benchmark (see benchmarks/README)
    sinergi replay [--setup] [--url U] [--speed 10]  replay an election day against a server (docs/replay.md)
    sinergi manage ARGS...                           any Django management command
"""

from __future__ import annotations

import os
import sys


def _setup(settings_module: str | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module or "config.settings.dev")
    import django

    django.setup()


def _call(*args: str) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(*args)
    except CommandError as exc:
        print(f"sinergi: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    mapping = {
        "up": "sinergi_up",
        "serve": "sinergi_serve",
        "status": "sinergi_status",
        "import-tps": "import_tps",
        "load-dataset": "load_ntt",
        "bench": "sinergi_bench",
        "risk": "risk",
        "plan": "plan",
    }
    _setup()
    if cmd == "audit":
        if rest[:1] != ["verify"]:
            print("usage: sinergi audit verify [--json]", file=sys.stderr)
            return 2
        return _call("audit_verify", *rest[1:])
    if cmd == "replay":
        from sinergi.replay.cli import main as replay_main

        return replay_main(rest)
    if cmd == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["sinergi manage", *rest])
        return 0
    if cmd == "bench":
        # Benchmark options (e.g. --db sqlite) go to the benchmark, not to Django's parser.
        record = "--record" in rest
        rest = [a for a in rest if a != "--record"]
        if rest and not rest[0].startswith("-"):
            return _call("sinergi_bench", *(["--record"] if record else []), rest[0], *rest[1:])
    if cmd not in mapping:
        print(f"sinergi: unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
        return 2
    return _call(mapping[cmd], *rest)


if __name__ == "__main__":
    sys.exit(main())
