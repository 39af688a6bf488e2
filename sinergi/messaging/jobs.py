"""Periodic work of messaging, called by `manage.py sinergi_tick`: send the due outbox rows (with back-off)."""

from __future__ import annotations

from .services import outbox_dispatch


def tick(now=None) -> dict:
    return outbox_dispatch(now=now)
