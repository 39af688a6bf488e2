"""Queries the hot paths run on every request, compiled to SQL once per process.

Building a queryset's SQL costs the ORM far more than running it: the check-in path's roster query (a UNION with
two subqueries) took about 5 ms to compile and 0.1 ms to run on SQLite. `rows(name, build, **args)` builds the
query once with stand-in values for its arguments (integers or text), keeps the SQL and the position of each argument among
its parameters, and afterwards only puts the values in and runs it. The rows come back as the database driver
gives them (no ORM conversion), so use it only for queries whose columns need none: ids, integers, text.

    rows("roster", lambda user, tps: Officer.objects.filter(user_id=user, ...).values_list("pk")[:1],
         user=7, tps=1234)

The SQL is kept per query name and database vendor (an exercise database is of the same vendor: same SQL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

_compiled: dict[tuple[str, str], tuple[str, list, dict[str, int]]] = {}
_lock = threading.Lock()
_STAND_IN = -7_340_000_000_000  # far from any id, count or constant a query may hold


def _compile(build: Callable, args: dict) -> tuple[str, list, dict[str, int]]:
    stand_ins = {name: (f"\x00prepared:{name}" if isinstance(args[name], str) else _STAND_IN - i)
                 for i, name in enumerate(sorted(args))}
    sql, params = build(**stand_ins).query.sql_with_params()
    params = list(params)
    where: dict[str, int] = {}
    for name, value in stand_ins.items():
        found = [i for i, p in enumerate(params) if p == value and type(p) is type(value)]
        if len(found) != 1:
            raise ValueError(f"prepared query: argument {name!r} appears {len(found)} times among the parameters")
        where[name] = found[0]
    return sql, params, where


def rows(name: str, build: Callable, **args: int | str) -> list[tuple]:
    """The rows of `build(**args)` (a queryset), with its SQL compiled once per process (integer or text
    arguments, each used once in the query and never None: a None would change the query's shape)."""
    key = (name, connection.vendor)
    entry = _compiled.get(key)
    if entry is None:
        entry = _compile(build, args)
        with _lock:
            _compiled[key] = entry
    sql, template, where = entry
    params = list(template)
    for arg, value in args.items():
        if not isinstance(value, int | str):
            raise TypeError(f"prepared query {name}: {arg} must be an integer or text, not {type(value).__name__}")
        params[where[arg]] = value
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
