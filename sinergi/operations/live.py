"""Live updates for the command dashboard: a tiny event ({"kind": ..., "id": ...}) on the channel group "ops"
whenever a check-in, escort or alert changes; pages then reload their scoped data, so no record content (and no
scoping decision) travels over the socket. Best-effort: pages also poll."""

from __future__ import annotations

from sinergi.core.live import group_send

GROUP = "ops"


def broadcast(kind: str, **data) -> None:
    group_send(GROUP, "ops.event", kind=kind, **data)
