"""Run one function in parallel threads that start together (for idempotency-under-retry tests)."""

from __future__ import annotations

import threading

from django.db import connections


def run_parallel(n, fn):
    """Call fn(0..n-1) in n threads released at once by a barrier; each thread closes its database connections.
    Returns (results in completion order, exceptions raised)."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results.append(fn(i))
        except Exception as exc:  # collected for the caller to assert on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors
