"""Django's synchronous code under ASGI on long-lived threads, not a new thread per request (ADR 0053).

Django's ASGI handler runs each request in a `ThreadSensitiveContext` of its own, and asgiref gives every such
context a new thread: under `sinergi up` every request started a thread and, since database connections belong to
a thread, opened a new SQLite connection (WAL, functions, pragmas) and dropped it at the end. On the election-day
replay's 07:00 burst a web process spent 30 ms of CPU per check-in (14 ms for the view's own work in process), 20 ms
with long-lived threads; over the longer 06:55–07:10 window 28 ms against 30 (ADR 0053).

`SyncThreads(app)` wraps the HTTP application: each request gets a single-thread executor of its own for its whole
life (`ThreadSensitiveContext(executor=...)`, which Django's inner context then uses), taken from the executors
no request is using, or a new one when all are in use. So no request waits for another's thread — as before —
while threads, and with `CONN_MAX_AGE` their database connections, are reused. Beyond `MAX_THREADS` requests at
once, a request shares the executor with the fewest requests (its sync calls then queue behind theirs).
WebSocket and lifespan scopes pass through untouched (Channels runs their database work itself), and so does a
request made from sync code through `async_to_sync` (tests): asgiref runs its sync code in the calling thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import AsyncToSync, ThreadSensitiveContext

MAX_THREADS = 64


class SyncThreads:
    def __init__(self, app, max_threads: int = MAX_THREADS):
        self.app = app
        self.max_threads = max_threads
        self._idle: list[ThreadPoolExecutor] = []
        self._load: dict[ThreadPoolExecutor, int] = {}  # executor -> requests using it now

    def _take(self) -> ThreadPoolExecutor:
        if self._idle:
            executor = self._idle.pop()
        elif len(self._load) < self.max_threads:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-{len(self._load)}")
            self._load[executor] = 0
        else:
            executor = min(self._load, key=self._load.__getitem__)
        self._load[executor] += 1
        return executor

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        self._load[executor] -= 1
        if self._load[executor] == 0:
            self._idle.append(executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or getattr(AsyncToSync.executors, "current", None) is not None:
            # not HTTP, or called from sync code through async_to_sync (tests): its thread runs the sync code, as
            # asgiref would do without us
            return await self.app(scope, receive, send)
        # only the event loop's thread runs this: no lock needed around the pool
        executor = self._take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await self.app(scope, receive, send)
        finally:
            self._give_back(executor)
