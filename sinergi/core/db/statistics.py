"""The query planner's statistics on the embedded database.

SQLite plans without statistics until `ANALYZE` has run: it then guesses that every index narrows as well as any
other and, for `WHERE election_id = ? AND code = ?` on the TPS table, walked the election index (every TPS of the
election, 5 ms) instead of the code index (one row, 0.02 ms). `refresh()` runs at every `sinergi up` (before
serving) and after a dataset load: `ANALYZE` when the database has no statistics yet (about half a second for the
NTT dataset), otherwise `PRAGMA optimize`, which analyses only the tables that changed much since. PostgreSQL keeps
its statistics itself (autovacuum), so nothing is done there.
"""

from __future__ import annotations

from django.db import connection


def refresh() -> str:
    """Bring the planner's statistics up to date (SQLite). Returns what was done: "analyze", "optimize" or ""."""
    if connection.vendor != "sqlite":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            cursor.execute("ANALYZE")
            return "analyze"
        cursor.execute("PRAGMA optimize")
        return "optimize"
