"""Live updates for the command dashboard: a tiny event ({"kind": ..., "id": ...}) on the channel group "ops"
whenever a check-in, escort or alert changes; pages then reload their scoped data, so no record content (and no
scoping decision) travels over the socket. Best-effort: pages also poll."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

GROUP = "ops"


def broadcast(kind: str, **data) -> None:
    try:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer
    except ImportError:  # pragma: no cover
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(GROUP, {"type": "ops.event", "kind": kind, **data})
    except Exception:  # live updates are best-effort
        log.warning("ops broadcast failed", exc_info=True)
