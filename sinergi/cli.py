"""The `sinergi` command. Operators script it: keep subcommands and --json output stable.

    sinergi up [--host H] [--port P] [--no-worker]   create/migrate the embedded DB, load NTT once, serve
    sinergi serve [--workers N] [--task-workers K]   production: N ASGI servers, K task workers, processor and
                                                     one scheduler, supervised (docs/operations-guide.md)
    sinergi status [--json]                          dataset and user counts
    sinergi import-tps FILE [--valid-only] [--json]  import KPU's TPS list (CSV/XLSX)
    sinergi audit verify                             check the audit hash chain
    sinergi audit checkpoint                         sign and print the audit chain's head
    sinergi load-dataset [--force]                   load the NTT default dataset
    sinergi bench NAME                               run a benchmark (see benchmarks/README)
    sinergi backup [--output DIR] [--json]           back up database, uploads, audit checkpoint (archive 0600)
    sinergi restore FILE [--force] [--json]          restore a backup, then verify hashes, audit chain, counts
    sinergi triage --jsonl FILE                      triage reports without storing (one JSON line each)
    sinergi personnel demo|import FILE|assign        roster (demo NTT roster, import, assign to the Renpam)
    sinergi replay [--setup] [--url U] [--speed 10]  replay an election day against a server (docs/replay.md)
    sinergi exercise start|status|stop|purge ...     exercise mode (latihan, docs/exercise.md)
    sinergi manage ARGS...                           any Django management command
"""

from __future__ import annotations

import os
import sys


def _setup(settings_module: str | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module or "config.settings.dev")
    import django

    django.setup()


# Commands that prepare or need no database of their own; every other command first checks that the database is
# reachable and migrated, and says in one line what to run when it is not.
NO_PREFLIGHT = {"up", "manage", "bench", "replay", "serve", "restore"}
PREPARE_HINT = "jalankan / run: sinergi up --no-serve"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _database_problem() -> str | None:
    """None when the database answers and has every migration applied; else one line saying what is wrong."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        return (f"basis data tidak dapat dihubungi / database unreachable ({_first_line(exc)}); "
                "periksa DATABASE_URL / check DATABASE_URL")
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"basis data tidak dapat dibaca / database unreadable ({_first_line(exc)})"
    if pending:
        return f"basis data belum disiapkan / database not prepared ({len(pending)} migrations pending); {PREPARE_HINT}"
    return None


#: commands that can take more than a few seconds: their progress is shown on stderr (a bar on a terminal, plain
#: lines otherwise, nothing with --json; sinergi/core/terminal.py). `up` shows its own (before it starts serving).
PROGRESS_COMMANDS = {"load-dataset", "import-tps", "plan", "risk", "personnel", "replay"}


def _with_progress(cmd: str, rest: list[str], fn, *args) -> int:
    if cmd not in PROGRESS_COMMANDS:
        return fn(*args)
    from sinergi.core.terminal import terminal_progress

    with terminal_progress(enabled="--json" not in rest):
        return fn(*args)


def _call(*args: str) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import DatabaseError

    try:
        call_command(*args)
    except CommandError as exc:
        print(f"sinergi: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"sinergi: kesalahan basis data / database error: {_first_line(exc)}; {PREPARE_HINT}", file=sys.stderr)
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
        "backup": "sinergi_backup",
        "restore": "sinergi_restore",
        "exercise": "exercise",
        "triage": "triage",
        "personnel": "personnel",
    }
    _setup()
    if cmd not in NO_PREFLIGHT:
        problem = _database_problem()
        if problem:
            print(f"sinergi: {problem}", file=sys.stderr)
            return 2
    if cmd == "audit":
        if rest[:1] == ["checkpoint"]:  # sign the chain's head (also done with every daily situation report)
            return _call("audit_checkpoint", *rest[1:])
        if rest[:1] != ["verify"]:
            print("usage: sinergi audit verify [--json] [--checkpoint FILE] | sinergi audit checkpoint",
                  file=sys.stderr)
            return 2
        return _call("audit_verify", *rest[1:])
    if cmd == "replay":
        from sinergi.replay.cli import main as replay_main

        return _with_progress(cmd, rest, replay_main, rest)
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
    return _with_progress(cmd, rest, _call, mapping[cmd], *rest)


if __name__ == "__main__":
    sys.exit(main())
