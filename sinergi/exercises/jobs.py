"""The tick for exercises: `sinergi_tick` calls `tick_running(run)` after the real jobs; each running exercise gets
the same jobs run in its context (exercise clock, exercise database)."""

from __future__ import annotations

import logging

from sinergi.core import clock, sandbox

from .selectors import running_exercises

log = logging.getLogger(__name__)


def tick_running(run) -> dict[str, object]:
    out: dict[str, object] = {}
    for ex in running_exercises():
        try:
            with sandbox.enter(ex.clock()):
                result = run(None)
                result["sim_now"] = clock.now().isoformat()
        except Exception as exc:  # one exercise's failure must not stop the others or the real tick
            log.exception("tick of exercise %s failed", ex.pk)
            result = {"error": str(exc)}
        out[f"latihan-{ex.pk}"] = result
    return out
