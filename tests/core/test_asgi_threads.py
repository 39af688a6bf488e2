"""Django's sync code under ASGI on long-lived threads (sinergi.core.asgi_threads, ADR 0053): a request after
another reuses its thread (and so its database connection); requests at the same time each get a thread of their
own, so a slow one holds nobody up; WebSocket scopes pass through."""

from __future__ import annotations

import asyncio
import threading
import time

from asgiref.sync import ThreadSensitiveContext, sync_to_async

from sinergi.core.asgi_threads import SyncThreads


def _app(seen: list, pause: float = 0.0):
    async def app(scope, receive, send):
        async with ThreadSensitiveContext():  # as Django's ASGI handler does: uses the enclosing executor
            def work():
                time.sleep(pause)
                return threading.get_ident()

            seen.append(await sync_to_async(work, thread_sensitive=True)())
    return app


def _call(app, kind="http"):
    return app({"type": kind}, None, None)


def test_one_request_after_another_reuses_the_thread():
    seen: list = []
    app = SyncThreads(_app(seen))

    async def run():
        for _ in range(5):
            await _call(app)
    asyncio.run(run())
    assert len(set(seen)) == 1 and seen[0] != threading.get_ident()


def test_requests_at_the_same_time_do_not_wait_for_each_other():
    seen: list = []
    app = SyncThreads(_app(seen, pause=0.3))

    async def run():
        t0 = time.monotonic()
        await asyncio.gather(*[_call(app) for _ in range(4)])
        return time.monotonic() - t0
    took = asyncio.run(run())
    assert len(set(seen)) == 4 and took < 1.0  # four threads side by side, not 1.2 s one after the other


def test_beyond_the_limit_requests_share_the_least_busy_thread_and_websockets_pass_through():
    seen: list = []
    app = SyncThreads(_app(seen, pause=0.05), max_threads=2)

    async def run():
        await asyncio.gather(*[_call(app) for _ in range(6)])
        await _call(app, "websocket")
    asyncio.run(run())
    assert len(seen) == 7 and len(set(seen[:6])) == 2
    assert app._load and all(n == 0 for n in app._load.values())  # every executor given back


def test_called_from_sync_code_the_calling_thread_runs_it():
    """async_to_sync from a sync thread (as tests call the ASGI application): asgiref runs the sync code in that
    thread, which holds the test's transaction; the pool stays out of the way."""
    from asgiref.sync import async_to_sync

    seen: list = []
    async_to_sync(SyncThreads(_app(seen)))({"type": "http"}, None, None)
    assert seen == [threading.get_ident()]
