"""Named read providers: a lower app shows data owned by an app above it without importing it.

The owning app registers a selector under a dotted name in its AppConfig.ready (e.g. logistics registers
"logistics.movement_list"); the page that shows it (e.g. the operations TPS page) asks `provider(name)` and leaves
the part out when no app provides it. See docs/adr/0007-registries-for-upward-calls.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PROVIDERS: dict[str, Callable[..., Any]] = {}


def provide(name: str, fn: Callable[..., Any]) -> None:
    """Register (or replace, so a second `ready()` is harmless) the provider called `name`."""
    _PROVIDERS[name] = fn


def provider(name: str) -> Callable[..., Any] | None:
    """The function registered as `name`, or None when no installed app provides it."""
    return _PROVIDERS.get(name)
