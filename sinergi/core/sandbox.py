"""Exercise databases: a copy of the real database in which an exercise (latihan) runs, kept apart by construction.

`clone(name)` copies the real database (SQLite: the backup API; PostgreSQL: pg_dump | pg_restore into a new
database); `enter(clock)` makes that copy *the* default database for the current context (request, tick, command)
and sets the exercise clock, so every model, raw SQL, transaction and `select_for_update` of every app works
unchanged on the exercise's records; `drop(name)` removes it. Why a separate database rather than tagged records:
docs/adr/0025-exercise-mode.md.

Only Django and the standard library here (core is a foundation app).
"""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

from . import clock

PREFIX = "latihan_"


def alias_for(database: str) -> str:
    return PREFIX + Path(database).stem.replace("-", "_").replace(".", "_")


def _real_settings() -> dict:
    return connections.settings[DEFAULT_DB_ALIAS]


def vendor() -> str:
    return "sqlite" if "sqlite" in _real_settings()["ENGINE"] else "postgresql"


def database_name(exercise_id: int) -> str:
    """Where exercise `exercise_id` keeps its records: a file beside the real SQLite database, or a PostgreSQL
    database named after the real one."""
    real = _real_settings()["NAME"]
    if vendor() == "sqlite":
        return str(Path(real).with_name(f"{Path(real).stem}-latihan-{exercise_id}.sqlite3"))
    return f"{real}_latihan_{exercise_id}"[:63]


def connect(database: str):
    """A new connection (Django database wrapper) to `database`, configured like the real one. It is not
    registered in settings.DATABASES: whoever opens it closes it (sinergi.core.sandbox.enter does)."""
    conf = copy.deepcopy(_real_settings())
    conf["NAME"] = database
    conf.pop("TEST", None)
    return load_backend(conf["ENGINE"]).DatabaseWrapper(conf, alias_for(database))


@contextmanager
def _admin_cursor():
    """A cursor on a connection of its own in autocommit (CREATE/DROP DATABASE cannot run in a transaction, and
    the caller may be inside one)."""
    conf = copy.deepcopy(_real_settings())
    conf.pop("TEST", None)
    conn = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, "sinergi_sandbox_admin")
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _pg_env(conf: dict) -> dict:
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    return env


def _pg_args(conf: dict) -> list[str]:
    args = []
    if conf.get("HOST"):
        args += ["-h", str(conf["HOST"])]
    if conf.get("PORT"):
        args += ["-p", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["-U", str(conf["USER"])]
    return args


def clone(database: str) -> None:
    """Copy the real database (committed state) into `database`, which must not exist yet."""
    conf = _real_settings()
    if vendor() == "sqlite":
        if Path(database).exists():
            raise FileExistsError(database)
        src = sqlite3.connect(conf["NAME"], timeout=30)
        dst = sqlite3.connect(database)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    with _admin_cursor() as cur:
        cur.execute(f'CREATE DATABASE "{database}"')
    dump = subprocess.Popen(["pg_dump", "--format=custom", "--no-owner", *_pg_args(conf), conf["NAME"]],
                            stdout=subprocess.PIPE, env=_pg_env(conf))
    restore = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *_pg_args(conf), "-d", database],
                             stdin=dump.stdout, capture_output=True, env=_pg_env(conf))
    dump.stdout.close()
    if dump.wait() != 0 or restore.returncode != 0:
        drop(database)
        raise RuntimeError(f"copying the database failed: {restore.stderr.decode(errors='replace')[-500:]}")


def exists(database: str) -> bool:
    if vendor() == "sqlite":
        return Path(database).exists()
    with connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        return cur.fetchone() is not None


def drop(database: str) -> None:
    """Remove the exercise database (every record of the exercise at once)."""
    if vendor() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(database + suffix)
            if p.exists():
                p.unlink()
        return
    with _admin_cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def enter(exercise: clock.ExerciseClock):
    """Run the block in the exercise: the exercise clock, and its database as the default database."""
    real = connections[DEFAULT_DB_ALIAS]
    token = clock.set_exercise(exercise)
    conn = connect(exercise.database) if exercise.database else None
    if conn is not None:
        connections[DEFAULT_DB_ALIAS] = conn
    try:
        yield exercise
    finally:
        if conn is not None:
            connections[DEFAULT_DB_ALIAS] = real
            conn.close()
        clock.reset_exercise(token)


def which(cmd: str) -> bool:
    return shutil.which(cmd) is not None
