"""Live-update plumbing shared by the situation room (incidents) and the command dashboard (operations).

A service announces a change with `group_send(group, type, **data)`: a tiny event on a Channels group (ids and
kinds, never record content). `SignedInGroupConsumer` lets signed-in users join that group; the page then reloads
its scoped data through the normal views, so no scoping decision travels over the socket. Best-effort: pages also
poll, and a failing channel layer never fails the write that triggered the event.
"""

from __future__ import annotations

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

log = logging.getLogger(__name__)


def group_send(group: str, event_type: str, **data) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": event_type, **data})
    except Exception:  # live updates are best-effort
        log.warning("live update to %s failed", group, exc_info=True)


class SignedInGroupConsumer(AsyncJsonWebsocketConsumer):
    """Joins `group` for signed-in users (anonymous: closed with 4401) and relays each event without its type."""

    group = ""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def relay(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"})
