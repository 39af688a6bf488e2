"""Waiting on a page condition under the Content-Security-Policy (script-src 'self').

Playwright's `page.wait_for_function("...")` evaluates its string with `eval` inside the page, which the CSP
forbids; `page.evaluate` goes through the DevTools protocol, which the CSP does not govern. This polls it."""

from __future__ import annotations

import time


def wait_until(page, expression: str, *, timeout: int = 30_000, interval: float = 0.2):
    """Poll `expression` in the page until it is truthy; return its value or raise TimeoutError (ms timeout)."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()")
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout} ms: {expression}")
        page.wait_for_timeout(interval * 1000)
