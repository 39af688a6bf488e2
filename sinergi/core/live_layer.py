"""A channel layer for the embedded default: in-memory channels and groups in each process, with `group_send`
fanned out to every process of the install through one shared SQLite file in WAL mode (docs/adr/0030).

`sinergi up` runs the web server, the task worker, the incident processor and the tick as separate processes.
Channels' in-memory layer cannot carry an event raised by the worker or the tick to a browser connected to the web
server; Redis can, but the embedded default has no Redis. Here a `group_send` in any process appends one row
(group, JSON body, origin) to `<data dir>/live.sqlite3` and delivers locally at once; every process that has
consumers (the web server) runs one poller task that reads the rows added since its last look (every
`poll_interval` seconds, a primary-key range read that WAL never blocks) and delivers them to its local group
members. Rows older than `retention` seconds are pruned by the writers. Events are small JSON dicts (ids and
kinds); nothing else travels here. With REDIS_URL set, settings use channels-redis instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

SCHEMA = ("CREATE TABLE IF NOT EXISTS live_event (id INTEGER PRIMARY KEY AUTOINCREMENT, grp TEXT NOT NULL, "
          "body TEXT NOT NULL, origin TEXT NOT NULL, at REAL NOT NULL)")


class SQLiteFanoutChannelLayer(InMemoryChannelLayer):
    """InMemoryChannelLayer whose group messages also reach the other processes sharing `path`."""

    def __init__(self, path: str | Path | None = None, poll_interval: float = 0.1, retention: float = 120,
                 **kwargs):
        super().__init__(**kwargs)
        if path is None:
            from django.conf import settings

            path = Path(settings.DATA_DIR) / "live.sqlite3"
        self.path = str(path)
        self.poll_interval = float(poll_interval)
        self.retention = float(retention)
        self.origin = uuid.uuid4().hex
        self._local = threading.local()
        self._writes = 0
        self._poller: asyncio.Task | None = None
        self._poller_loop: asyncio.AbstractEventLoop | None = None
        self._last_id = 0

    # -- the shared file ------------------------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(SCHEMA)
            try:
                Path(self.path).chmod(0o600)
            except OSError:
                pass
            self._local.conn = conn
        return conn

    def _append(self, group: str, message: dict) -> None:
        db = self._db()
        now = time.time()
        db.execute("INSERT INTO live_event (grp, body, origin, at) VALUES (?, ?, ?, ?)",
                   (group, json.dumps(message, default=str), self.origin, now))
        self._writes += 1
        if self._writes % 200 == 1:
            db.execute("DELETE FROM live_event WHERE at < ?", (now - self.retention,))

    def _read_since(self, last_id: int) -> list[tuple[int, str, str, str]]:
        return self._db().execute("SELECT id, grp, body, origin FROM live_event WHERE id > ? ORDER BY id LIMIT 1000",
                                  (last_id,)).fetchall()

    def _max_id(self) -> int:
        return self._db().execute("SELECT COALESCE(MAX(id), 0) FROM live_event").fetchone()[0]

    # -- the layer API --------------------------------------------------------------------------------------------
    async def group_send(self, group, message):
        try:
            self._append(group, message)
        except sqlite3.Error:
            log.warning("live event to %s not shared with other processes", group, exc_info=True)
        await super().group_send(group, message)

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        self._ensure_poller()

    def _ensure_poller(self) -> None:
        loop = asyncio.get_running_loop()
        if self._poller is not None and not self._poller.done() and self._poller_loop is loop:
            return
        self._last_id = self._max_id()
        self._poller_loop = loop
        self._poller = loop.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            try:
                rows = self._read_since(self._last_id)
            except sqlite3.Error:
                log.warning("live event poll failed", exc_info=True)
                rows = []
            for pk, group, body, origin in rows:
                self._last_id = pk
                if origin == self.origin:
                    continue  # delivered locally when sent
                try:
                    await super().group_send(group, json.loads(body))
                except Exception:  # one bad row must not stop the feed
                    log.warning("live event %s not delivered", pk, exc_info=True)
            if len(rows) < 1000:
                await asyncio.sleep(self.poll_interval)

    async def flush(self):
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        await super().flush()
