"""Inbound SMS handlers: the one SMS webhook (sinergi.incidents) hands a message to the first registered handler
whose `matches(text)` is true, and otherwise takes it as an incident report.

An app above incidents (e.g. sinergi.operations for "CEK <kode TPS> ..." check-ins) registers its handler in its
AppConfig.ready, so incidents never imports it (docs/adr/0007-registries-for-upward-calls.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SmsHandler:
    name: str
    #: cheap test on the raw text
    matches: Callable[[str], bool]
    #: handle(message_id=..., sender=..., text=...) -> the webhook's JSON body (a dict)
    handle: Callable[..., dict]


_HANDLERS: dict[str, SmsHandler] = {}


def register(name: str, *, matches: Callable[[str], bool], handle: Callable[..., dict]) -> None:
    """Register (or replace, so a second `ready()` is harmless) the handler called `name`."""
    _HANDLERS[name] = SmsHandler(name=name, matches=matches, handle=handle)


def handler_for(text: str) -> SmsHandler | None:
    """The first registered handler that takes this text, or None (an incident report)."""
    for handler in _HANDLERS.values():
        if handler.matches(text):
            return handler
    return None
