"""The embedded database's write lock (sinergi/core/db/sqlite3, issue 20): writers of all processes and threads
queue on a lock file and the next starts right after the previous commit, not after SQLite's busy-handler sleep;
background writers (the report processor) let waiting writers go first and can ask whether someone waits; the
wait ends with SQLite's own "database is locked" after the timeout. Runs on real connections to a SQLite file
of its own (no Django test database), so it runs in the SQLite and the PostgreSQL suite alike."""

from __future__ import annotations

import threading
import time

import pytest
from django.db.utils import ConnectionHandler, OperationalError

from config.settings.base import sqlite_database
from sinergi.core.db.sqlite3.base import writers_waiting, yield_to_waiting_writers


@pytest.fixture
def connect(tmp_path, django_db_blocker):
    made = []
    django_db_blocker.unblock()  # our own database file, not the test database

    def make(timeout: float = 30):
        conf = sqlite_database(tmp_path / "lock.sqlite3")
        conf["OPTIONS"]["timeout"] = timeout
        conn = ConnectionHandler({"default": conf})["default"]
        conn.inc_thread_sharing()  # used from the test's threads
        made.append(conn)
        return conn

    first = make()
    with first.cursor() as cur:
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    yield make
    for conn in made:
        conn.close()
    django_db_blocker.restore()


def begin(conn) -> None:
    """What transaction.atomic() does first on a connection in autocommit mode."""
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def write(conn, who: str) -> None:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO t (who) VALUES (%s)", [who])


def end(conn) -> None:
    conn.commit()
    conn.set_autocommit(True)


def in_thread(fn, *args):
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_a_waiting_writer_starts_as_soon_as_the_holder_commits(connect):
    a, b = connect(), connect()
    begin(a)
    write(a, "a")

    def second():
        t0 = time.monotonic()
        begin(b)
        started = time.monotonic()
        write(b, "b")
        end(b)
        return t0, started

    t, out = in_thread(second)
    time.sleep(0.3)
    assert t.is_alive()  # b waits for a's transaction
    committed = time.monotonic()
    end(a)
    t.join(5)
    t0, started = out["value"]
    assert started - t0 >= 0.25
    # SQLite's busy handler would sleep up to 100 ms between tries; the lock file hands over within milliseconds
    assert started - committed < 0.05
    with a.cursor() as cur:
        cur.execute("SELECT who FROM t ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == ["a", "b"]


def test_the_wait_ends_with_database_is_locked_after_the_timeout(connect):
    a, b = connect(), connect(timeout=0.3)
    begin(a)
    t0 = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        begin(b)
    assert 0.25 <= time.monotonic() - t0 < 2
    end(a)
    begin(b)  # the failed wait left nothing held
    write(b, "b")
    end(b)


def test_background_writers_let_waiting_writers_go_first(connect, monkeypatch):
    from sinergi.core.db.sqlite3 import base

    monkeypatch.setattr(base, "YIELD_MAX", 5.0)  # the order, whatever the machine's pace (the bound: below)
    holder, background, foreground = connect(), connect(), connect()
    yield_to_waiting_writers(background)
    order: list[str] = []
    begin(holder)

    def run(conn, name):
        begin(conn)
        order.append(name)
        write(conn, name)
        time.sleep(0.05)
        end(conn)

    tb, _ = in_thread(run, background, "background")  # starts waiting first
    time.sleep(0.05)
    tf, _ = in_thread(run, foreground, "foreground")
    time.sleep(0.05)
    # the background writer, inside a transaction, is told that a writer waits (it commits early)
    assert writers_waiting(holder) is True
    end(holder)
    tb.join(5)
    tf.join(5)
    assert order == ["foreground", "background"]
    assert writers_waiting(holder) is False


def test_a_crashed_holder_leaves_no_lock(connect, tmp_path):
    """The kernel drops a flock when its file is closed (as when a process dies): nobody waits for a ghost."""
    a, b = connect(), connect(timeout=1)
    begin(a)
    a.close()  # closing in a transaction (as a dying process) lets go of the lock file
    t0 = time.monotonic()
    begin(b)
    assert time.monotonic() - t0 < 0.5
    end(b)


def test_a_background_writer_goes_after_at_most_yield_max_however_many_wait(connect, tmp_path):
    """Under a steady stream of waiting writers the background writer still gets its turn (the election-day
    replay starved the report processor with a longer wait): someone keeps saying they wait, and it starts anyway
    after YIELD_MAX."""
    import fcntl
    import os

    from sinergi.core.db.sqlite3 import base

    background = connect()
    yield_to_waiting_writers(background)
    begin(background)  # opens its lock files
    end(background)
    waiting = os.open(tmp_path / "lock.sqlite3-writer-waiting.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(waiting, fcntl.LOCK_SH)  # a writer waiting, for ever
        assert writers_waiting(background) is True
        t0 = time.monotonic()
        begin(background)
        took = time.monotonic() - t0
        write(background, "background")
        end(background)
    finally:
        os.close(waiting)
    assert base.YIELD_MAX * 0.9 <= took < base.YIELD_MAX + 1.0
